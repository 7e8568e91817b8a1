import { QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { FINAL_STATUSES, JobStatus, type FinalStatus } from '../../core/jobStatus.ts';
import { LIMITS } from '../../core/limits.ts';
import type { StoredJob } from '../../core/ports.ts';
import { JOB_INDEX } from './tables.ts';

/** The index attributes a job item carries besides the job: see JOB_INDEX.byWorkerState. */
export interface StateIndexKeys {
  workerState: string;
  stateOrder: string;
}

/** A held-back job's place in the partition of waiters. */
const HELD = 'held';

/**
 * The index keys for a job in this state. Held-back jobs sort by start order: priority (highest
 * first, as a fixed-width ascending number) then id (a ULID: oldest first). Other jobs sort by
 * when they reached their state, so "finished in the last hour" is one key-range count.
 */
export function stateIndexKeys(
  job: Pick<StoredJob, 'id' | 'worker' | 'status' | 'updatedAt'> &
    Partial<Pick<StoredJob, 'priority' | 'heldBack'>>,
): StateIndexKeys {
  if (job.status === JobStatus.Queued && job.heldBack) {
    const rank = String(LIMITS.maxPriority - (job.priority ?? 0)).padStart(5, '0');
    return { workerState: `${job.worker}#${HELD}`, stateOrder: `${rank}#${job.id}` };
  }
  return { workerState: `${job.worker}#${job.status}`, stateOrder: job.updatedAt };
}

/** Reads a worker's jobs by state from the index: never a scan of the table. */
export class JobStateIndex {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** The ids of the first `limit` held-back jobs of the worker, in start order. */
  async waitingIds(worker: string, limit: number): Promise<string[]> {
    const out = await this.client.send(
      new QueryCommand({ ...this.partition(worker, HELD), Limit: limit, ProjectionExpression: 'id' }),
    );
    return (out.Items ?? []).map((item) => String(item.id));
  }

  /** Jobs per active state (held-back counted apart and within `queued`). */
  async countActive(worker: string): Promise<Record<'queued' | 'heldBack' | 'starting' | 'running', number>> {
    const [queued, heldBack, starting, running] = await Promise.all(
      [JobStatus.Queued, HELD, JobStatus.Starting, JobStatus.Running].map((s) =>
        this.count(this.partition(worker, s)),
      ),
    );
    return { queued: queued! + heldBack!, heldBack: heldBack!, starting: starting!, running: running! };
  }

  /** Jobs that reached each final state at or after `since`. */
  async countFinished(worker: string, since: Date): Promise<Record<FinalStatus, number>> {
    const counts = await Promise.all(
      FINAL_STATUSES.map((status) => {
        const base = this.partition(worker, status);
        return this.count({
          ...base,
          KeyConditionExpression: `${base.KeyConditionExpression} AND #order >= :since`,
          ExpressionAttributeNames: { ...base.ExpressionAttributeNames, '#order': 'stateOrder' },
          ExpressionAttributeValues: { ...base.ExpressionAttributeValues, ':since': since.toISOString() },
        });
      }),
    );
    return Object.fromEntries(FINAL_STATUSES.map((status, i) => [status, counts[i]!])) as Record<
      FinalStatus,
      number
    >;
  }

  private partition(worker: string, state: string) {
    return {
      TableName: this.tableName,
      IndexName: JOB_INDEX.byWorkerState,
      KeyConditionExpression: '#ws = :ws',
      ExpressionAttributeNames: { '#ws': 'workerState' } as Record<string, string>,
      ExpressionAttributeValues: { ':ws': `${worker}#${state}` } as Record<string, unknown>,
    } satisfies QueryCommandInput;
  }

  private count(input: QueryCommandInput): Promise<number> {
    return countQuery(this.client, input);
  }
}

/** Counts a partition (or a range of it), page by page: DynamoDB counts up to 1 MB per call. */
export async function countQuery(client: DynamoDBDocumentClient, input: QueryCommandInput): Promise<number> {
  let total = 0;
  let start: Record<string, unknown> | undefined;
  // Bounded: 100 pages of index keys is millions of jobs.
  for (let page = 0; page < 100; page++) {
    const out = await client.send(new QueryCommand({ ...input, Select: 'COUNT', ExclusiveStartKey: start }));
    total += out.Count ?? 0;
    start = out.LastEvaluatedKey;
    if (!start) break;
  }
  return total;
}
