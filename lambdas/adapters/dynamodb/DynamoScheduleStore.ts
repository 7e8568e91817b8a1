import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ScheduleStore } from '../../core/ports.ts';
import type { Schedule } from '../../core/schemas.ts';
import { DynamoItems } from './DynamoItems.ts';

export class DynamoScheduleStore implements ScheduleStore {
  private readonly items: DynamoItems<Schedule>;

  constructor(client: DynamoDBDocumentClient, tableName: string) {
    this.items = new DynamoItems<Schedule>(client, tableName, 'name');
  }

  create(schedule: Schedule): Promise<void> {
    return this.items.create(schedule, `schedule "${schedule.name}" already exists`);
  }

  get(name: string): Promise<Schedule | undefined> {
    return this.items.get(name);
  }

  list(): Promise<Schedule[]> {
    return this.items.all();
  }

  put(schedule: Schedule): Promise<void> {
    return this.items.put(schedule);
  }

  delete(name: string): Promise<boolean> {
    return this.items.delete(name);
  }
}
