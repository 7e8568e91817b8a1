import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ConcurrencySlots } from '../../core/ports.ts';
import { isConditionFailed } from './conditionalWrite.ts';

/**
 * A worker's slots as ONE item of the jobs table (`concurrency#<worker>`, no `kind`, so no job
 * listing or index sees it): a map from holder to when it took the slot. Taking a slot is a
 * conditional update "fewer than N holders, or already one of them", which DynamoDB applies one
 * at a time per item: dispatchers racing on several Lambdas cannot take more than N together.
 */
export class DynamoConcurrencySlots implements ConcurrencySlots {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async acquire(worker: string, holder: string, limit: number, at: Date): Promise<boolean> {
    const key = { id: itemId(worker) };
    // Two rounds at most: the item may not exist yet, and a racing dispatcher may create it first.
    for (let round = 0; round < 2; round++) {
      try {
        await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: key,
            UpdateExpression: 'SET #holders.#h = if_not_exists(#holders.#h, :since)',
            ConditionExpression:
              'attribute_exists(#holders) AND (attribute_exists(#holders.#h) OR size(#holders) < :limit)',
            ExpressionAttributeNames: { '#holders': 'holders', '#h': holder },
            ExpressionAttributeValues: { ':since': at.toISOString(), ':limit': limit },
          }),
        );
        return true;
      } catch (err) {
        if (!isConditionFailed(err)) throw err;
      }
      if (await this.exists(worker)) return false;
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...key, holders: { [holder]: at.toISOString() } },
            ConditionExpression: 'attribute_not_exists(id)',
          }),
        );
        return true;
      } catch (err) {
        if (!isConditionFailed(err)) throw err;
      }
    }
    return false;
  }

  async release(worker: string, holder: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { id: itemId(worker) },
          UpdateExpression: 'REMOVE #holders.#h',
          ConditionExpression: 'attribute_exists(#holders)',
          ExpressionAttributeNames: { '#holders': 'holders', '#h': holder },
        }),
      );
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
    }
  }

  async holders(worker: string): Promise<{ holder: string; since: string }[]> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { id: itemId(worker) }, ConsistentRead: true }),
    );
    const map = (out.Item?.holders ?? {}) as Record<string, string>;
    return Object.entries(map).map(([holder, since]) => ({ holder, since }));
  }

  private async exists(worker: string): Promise<boolean> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { id: itemId(worker) }, ConsistentRead: true }),
    );
    return out.Item !== undefined;
  }
}

/** Worker names cannot hold `#`, so this id is no job's and no other worker's. */
function itemId(worker: string): string {
  return `concurrency#${worker}`;
}
