import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  ScanCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../../core/errors.ts';
import type { ScheduleStore } from '../../core/ports.ts';
import type { Schedule } from '../../core/schemas.ts';
import { isConditionFailed } from './conditionalWrite.ts';

export class DynamoScheduleStore implements ScheduleStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(schedule: Schedule): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: schedule,
          ConditionExpression: 'attribute_not_exists(#name)',
          ExpressionAttributeNames: { '#name': 'name' },
        }),
      );
    } catch (err) {
      if (isConditionFailed(err)) throw new ConflictError(`schedule "${schedule.name}" already exists`);
      throw err;
    }
  }

  async get(name: string): Promise<Schedule | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { name }, ConsistentRead: true }),
    );
    return out.Item as Schedule | undefined;
  }

  async list(): Promise<Schedule[]> {
    const schedules: Schedule[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new ScanCommand({ TableName: this.tableName, ExclusiveStartKey: start, ConsistentRead: true }),
      );
      schedules.push(...((page.Items ?? []) as Schedule[]));
      start = page.LastEvaluatedKey;
    } while (start);
    return schedules.sort((a, b) => a.name.localeCompare(b.name));
  }

  async put(schedule: Schedule): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: schedule }));
  }

  async delete(name: string): Promise<boolean> {
    const out = await this.client.send(
      new DeleteCommand({ TableName: this.tableName, Key: { name }, ReturnValues: 'ALL_OLD' }),
    );
    return out.Attributes !== undefined;
  }
}
