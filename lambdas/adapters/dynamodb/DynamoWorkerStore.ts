import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  ScanCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../../core/errors.ts';
import type { WorkerStore } from '../../core/ports.ts';
import type { Worker } from '../../core/schemas.ts';
import { isConditionFailed } from './conditionalWrite.ts';

export class DynamoWorkerStore implements WorkerStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(worker: Worker): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: worker,
          ConditionExpression: 'attribute_not_exists(#name)',
          ExpressionAttributeNames: { '#name': 'name' },
        }),
      );
    } catch (err) {
      if (isConditionFailed(err)) throw new ConflictError(`worker "${worker.name}" already exists`);
      throw err;
    }
  }

  async get(name: string): Promise<Worker | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { name }, ConsistentRead: true }),
    );
    return out.Item as Worker | undefined;
  }

  async list(): Promise<Worker[]> {
    const workers: Worker[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new ScanCommand({ TableName: this.tableName, ExclusiveStartKey: start, ConsistentRead: true }),
      );
      workers.push(...((page.Items ?? []) as Worker[]));
      start = page.LastEvaluatedKey;
    } while (start);
    return workers.sort((a, b) => a.name.localeCompare(b.name));
  }

  async replace(worker: Worker, expectedRevision: number): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: worker,
          ConditionExpression: '#revision = :expected',
          ExpressionAttributeNames: { '#revision': 'revision' },
          ExpressionAttributeValues: { ':expected': expectedRevision },
        }),
      );
    } catch (err) {
      if (isConditionFailed(err))
        throw new ConflictError(
          `worker "${worker.name}" was changed or deleted meanwhile; read it and try again`,
        );
      throw err;
    }
  }

  async delete(name: string): Promise<boolean> {
    const out = await this.client.send(
      new DeleteCommand({ TableName: this.tableName, Key: { name }, ReturnValues: 'ALL_OLD' }),
    );
    return out.Attributes !== undefined;
  }
}
