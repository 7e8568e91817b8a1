import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { StoredWorker, WorkerStore } from '../../core/ports.ts';
import { DynamoItems } from './DynamoItems.ts';

export class DynamoWorkerStore implements WorkerStore {
  private readonly items: DynamoItems<StoredWorker>;

  constructor(client: DynamoDBDocumentClient, tableName: string) {
    this.items = new DynamoItems<StoredWorker>(client, tableName, 'name');
  }

  create(worker: StoredWorker): Promise<void> {
    return this.items.create(worker, `worker "${worker.name}" already exists`);
  }

  get(name: string): Promise<StoredWorker | undefined> {
    return this.items.get(name);
  }

  list(): Promise<StoredWorker[]> {
    return this.items.all();
  }

  /** Optimistic locking on the revision: two updates racing cannot both win. */
  replace(worker: StoredWorker, expectedRevision: number): Promise<void> {
    return this.items.put(worker, {
      condition: '#revision = :expected',
      names: { '#revision': 'revision' },
      values: { ':expected': expectedRevision },
      conflict: `worker "${worker.name}" was changed or deleted meanwhile; read it and try again`,
    });
  }

  delete(name: string): Promise<boolean> {
    return this.items.delete(name);
  }
}
