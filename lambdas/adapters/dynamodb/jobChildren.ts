import { QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { childId, emptyCounts, MAX_ARRAY_SIZE, type ChildCounts } from '../../core/arrays.ts';
import { ValidationError } from '../../core/errors.ts';
import { JOB_STATUSES, type JobStatus } from '../../core/jobStatus.ts';
import type { ChildQuery, StoredJob } from '../../core/ports.ts';
import { decodeCursor, encodeCursor, InvalidCursorError } from './conditionalWrite.ts';
import { countQuery } from './jobStateIndex.ts';
import { JOB_INDEX } from './tables.ts';

/** The index attributes an array child carries besides the job: see JOB_INDEX.byParentState. */
export interface ParentIndexKeys {
  parentState: string;
  parentOrder: string;
}

/** Index order as a string key: fixed width, so `10` sorts after `9`. */
function order(index: number): string {
  return String(index).padStart(5, '0');
}

/** The index keys of a child in this state; none for a job that is no array's child. */
export function parentIndexKeys(
  job: Partial<Pick<StoredJob, 'parent' | 'arrayIndex' | 'status'>>,
): ParentIndexKeys | Record<string, never> {
  if (job.parent === undefined || job.arrayIndex === undefined || job.status === undefined) return {};
  return { parentState: `${job.parent}#${job.status}`, parentOrder: order(job.arrayIndex) };
}

/**
 * An array parent's children. Listing them all needs no index: a child's id is its parent's and
 * its index (`<parent>-<i>`), so a page is one batch read of the next ids. By state, they are read
 * from the byParentState index (a partition per parent and state), and counted there too.
 */
export class JobChildren {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** The jobs with these ids as the table holds them now (missing ones left out). */
    private readonly readMany: (ids: string[]) => Promise<Map<string, StoredJob>>,
  ) {}

  async list(parent: string, query: ChildQuery): Promise<{ jobs: StoredJob[]; nextCursor?: string }> {
    const from = startIndex(query.cursor);
    if (query.status) return this.listIn(parent, query.status, from, query.limit);
    const to = Math.min(from + query.limit, query.created);
    const ids: string[] = [];
    for (let i = from; i < to; i++) ids.push(childId(parent, i));
    const found = await this.readMany(ids);
    const jobs = ids.map((id) => found.get(id)).filter((j): j is StoredJob => j !== undefined);
    return to < query.created ? { jobs, nextCursor: cursorAt(to) } : { jobs };
  }

  /** Children in `status` from index `from`, read on until the page is full (boundedly). */
  private async listIn(parent: string, status: JobStatus, from: number, limit: number) {
    const jobs: StoredJob[] = [];
    let start: Record<string, unknown> | undefined;
    let next: number | undefined;
    for (let pages = 0; pages < 20; pages++) {
      const base = this.partition(parent, status);
      const out = await this.client.send(
        new QueryCommand({
          ...base,
          KeyConditionExpression: `${base.KeyConditionExpression} AND #order >= :from`,
          ExpressionAttributeNames: { ...base.ExpressionAttributeNames, '#order': 'parentOrder' },
          ExpressionAttributeValues: { ...base.ExpressionAttributeValues, ':from': order(from) },
          ProjectionExpression: 'id, arrayIndex',
          Limit: limit - jobs.length,
          ExclusiveStartKey: start,
        }),
      );
      const ids = (out.Items ?? []).map((item) => String(item.id));
      // The index is read eventually consistent: each child is read again, and kept if still so.
      const found = await this.readMany(ids);
      for (const id of ids) {
        const job = found.get(id);
        if (job?.status === status) jobs.push(job);
      }
      start = out.LastEvaluatedKey;
      next = start ? Number(out.Items?.at(-1)?.arrayIndex) + 1 : undefined;
      if (!start || jobs.length >= limit) break;
    }
    return next !== undefined ? { jobs, nextCursor: cursorAt(next) } : { jobs };
  }

  async count(parent: string): Promise<ChildCounts> {
    const counts = emptyCounts();
    const each = await Promise.all(
      JOB_STATUSES.map((s) => countQuery(this.client, this.partition(parent, s))),
    );
    JOB_STATUSES.forEach((s, i) => (counts[s] = each[i]!));
    return counts;
  }

  private partition(parent: string, status: JobStatus) {
    return {
      TableName: this.tableName,
      IndexName: JOB_INDEX.byParentState,
      KeyConditionExpression: '#ps = :ps',
      ExpressionAttributeNames: { '#ps': 'parentState' } as Record<string, string>,
      ExpressionAttributeValues: { ':ps': `${parent}#${status}` } as Record<string, unknown>,
    } satisfies QueryCommandInput;
  }
}

function cursorAt(index: number): string {
  return encodeCursor({ index })!;
}

/** The cursor is the next index to read; anything else is a 400 naming `cursor`. */
function startIndex(cursor: string | undefined): number {
  let index: unknown = 0;
  try {
    index = decodeCursor(cursor)?.index ?? 0;
  } catch (err) {
    if (!(err instanceof InvalidCursorError)) throw err;
    index = undefined;
  }
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > MAX_ARRAY_SIZE)
    throw new ValidationError(new InvalidCursorError().message, 'cursor');
  return index;
}
