import { BatchWriteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** BatchWriteItem takes at most 25 items a call. */
const MAX_BATCH = 25;

interface Pending<T> {
  item: T;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Group commit: items are written at once while fewer than `maxWrites` writes are under way;
 * items that arrive while all of them are, wait for one to end and then go together in one write.
 * So a steady trickle of items costs what it did without this, and a burst (or the backlog left by
 * a stall) costs a few writes instead of one per item. Each caller's promise settles only when the
 * write that holds its item has settled, so an acknowledged item is on disk as surely as if it had
 * been written alone; a failed write fails every caller whose item it held.
 */
export class GroupCommit<T> {
  private readonly pending: Pending<T>[] = [];
  private writes = 0;

  constructor(
    private readonly write: (items: T[]) => Promise<void>,
    private readonly maxWrites = 4,
  ) {}

  add(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.writes < this.maxWrites) void this.writeNext();
    });
  }

  /** Writes what waits, then, while items keep arriving, the next batch, in one writer slot. */
  private async writeNext(): Promise<void> {
    this.writes++;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, MAX_BATCH);
        try {
          await this.write(batch.map((p) => p.item));
          for (const p of batch) p.resolve();
        } catch (err) {
          for (const p of batch) p.reject(err as Error);
        }
      }
    } finally {
      this.writes--;
    }
  }
}

/**
 * Writes items to a table: one PutItem for one item, else BatchWriteItem, retrying what DynamoDB
 * leaves unprocessed (a bounded number of times, then the whole write fails).
 */
export async function putItems(
  doc: DynamoDBDocumentClient,
  tableName: string,
  items: Record<string, unknown>[],
): Promise<void> {
  if (items.length === 1) {
    await doc.send(new PutCommand({ TableName: tableName, Item: items[0] }));
    return;
  }
  let requests = items.map((Item) => ({ PutRequest: { Item } }));
  for (let tries = 0; requests.length > 0; tries++) {
    if (tries === 10) throw new Error(`${tableName}: ${requests.length} items were not written; try again`);
    if (tries > 0) await new Promise((r) => setTimeout(r, 10 * 2 ** tries));
    const out = await doc.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } }));
    requests = (out.UnprocessedItems?.[tableName] ?? []) as typeof requests;
  }
}
