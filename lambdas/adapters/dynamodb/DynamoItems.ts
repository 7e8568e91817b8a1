import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  ScanCommand,
  type DynamoDBDocumentClient,
  type PutCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../../core/errors.ts';
import { isConditionFailed } from './conditionalWrite.ts';

/**
 * A table of items keyed by one attribute (workers, schedules, tokens): the reads and writes they
 * share. Conditional writes that fail become ConflictErrors with the caller's message.
 */
export class DynamoItems<T extends object> {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly key: keyof T & string,
  ) {}

  /** Writes the item if none has its key yet. */
  async create(item: T, conflict: string): Promise<void> {
    await this.put(item, { condition: 'attribute_not_exists(#key)', names: { '#key': this.key }, conflict });
  }

  async put(
    item: T,
    options?: {
      condition: string;
      names?: Record<string, string>;
      values?: Record<string, unknown>;
      conflict: string;
    },
  ): Promise<void> {
    const input: PutCommandInput = { TableName: this.tableName, Item: item };
    if (options) {
      input.ConditionExpression = options.condition;
      if (options.names) input.ExpressionAttributeNames = options.names;
      if (options.values) input.ExpressionAttributeValues = options.values;
    }
    try {
      await this.client.send(new PutCommand(input));
    } catch (err) {
      if (options && isConditionFailed(err)) throw new ConflictError(options.conflict);
      throw err;
    }
  }

  async get(key: string): Promise<T | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { [this.key]: key }, ConsistentRead: true }),
    );
    return out.Item as T | undefined;
  }

  /** Every item, sorted by key: these tables are small (one item per worker, schedule or token). */
  async all(): Promise<T[]> {
    const items: T[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new ScanCommand({ TableName: this.tableName, ExclusiveStartKey: start, ConsistentRead: true }),
      );
      items.push(...((page.Items ?? []) as T[]));
      start = page.LastEvaluatedKey;
    } while (start);
    return items.sort((a, b) => String(a[this.key]).localeCompare(String(b[this.key])));
  }

  /** Returns false when there was no such item. */
  async delete(key: string): Promise<boolean> {
    const out = await this.client.send(
      new DeleteCommand({ TableName: this.tableName, Key: { [this.key]: key }, ReturnValues: 'ALL_OLD' }),
    );
    return out.Attributes !== undefined;
  }
}
