import { createHash } from 'node:crypto';
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { ConflictError, NotFoundError, TransitionConflictError, ValidationError } from '../../core/errors.ts';
import { isFinal } from '../../core/jobStatus.ts';
import type { IdempotencyClaim, JobCondition, JobQuery, JobStore, StoredJob } from '../../core/ports.ts';
import { decodeCursor, encodeCursor, InvalidCursorError, isConditionFailed } from './conditionalWrite.ts';
import { JOB_INDEX } from './tables.ts';

/** Attributes the table needs that are not part of the job: the index key and the TTL. */
const STORAGE_ONLY = ['kind', 'expiresAt'] as const;

export interface DynamoJobStoreOptions {
  /** Finished jobs expire this many seconds after they finish (DynamoDB TTL). */
  retentionSeconds?: number;
}

/**
 * Jobs in DynamoDB. Only reads and writes: the rules live in the core, which states each
 * transition's precondition as a JobCondition; a failed condition comes back as a
 * TransitionConflictError carrying the job as it is now.
 */
export class DynamoJobStore implements JobStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly options: DynamoJobStoreOptions = {},
  ) {}

  async create(job: StoredJob): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...job, kind: 'job' },
          ConditionExpression: 'attribute_not_exists(id)',
        }),
      );
    } catch (err) {
      if (isConditionFailed(err)) throw new ConflictError(`job ${job.id} already exists`);
      throw err;
    }
  }

  async get(id: string): Promise<StoredJob | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { id }, ConsistentRead: true }),
    );
    return out.Item ? fromItem(out.Item) : undefined;
  }

  async list(query: JobQuery): Promise<{ jobs: StoredJob[]; nextCursor?: string }> {
    const base = this.queryFor(query);
    let start: Record<string, unknown> | undefined;
    try {
      start = decodeCursor(query.cursor);
    } catch (err) {
      if (err instanceof InvalidCursorError) throw new ValidationError(err.message, 'cursor');
      throw err;
    }
    const jobs: StoredJob[] = [];
    // A filter (worker + status) can leave pages short: read on until the page is full, boundedly.
    for (let pages = 0; pages < 20; pages++) {
      const out = await this.client.send(
        new QueryCommand({ ...base, Limit: query.limit - jobs.length, ExclusiveStartKey: start }),
      );
      jobs.push(...(out.Items ?? []).map(fromItem));
      start = out.LastEvaluatedKey;
      if (!start || jobs.length >= query.limit) break;
    }
    const nextCursor = encodeCursor(start);
    return nextCursor ? { jobs, nextCursor } : { jobs };
  }

  private queryFor(query: JobQuery): QueryCommandInput {
    const common = { TableName: this.tableName, ScanIndexForward: false };
    if (query.status) {
      return {
        ...common,
        IndexName: JOB_INDEX.byStatus,
        KeyConditionExpression: '#status = :status',
        ExpressionAttributeNames: { '#status': 'status', ...(query.worker ? { '#worker': 'worker' } : {}) },
        ExpressionAttributeValues: {
          ':status': query.status,
          ...(query.worker ? { ':worker': query.worker } : {}),
        },
        ...(query.worker ? { FilterExpression: '#worker = :worker' } : {}),
      };
    }
    if (query.worker) {
      return {
        ...common,
        IndexName: JOB_INDEX.byWorker,
        KeyConditionExpression: '#worker = :worker',
        ExpressionAttributeNames: { '#worker': 'worker' },
        ExpressionAttributeValues: { ':worker': query.worker },
      };
    }
    return {
      ...common,
      IndexName: JOB_INDEX.all,
      KeyConditionExpression: '#kind = :kind',
      ExpressionAttributeNames: { '#kind': 'kind' },
      ExpressionAttributeValues: { ':kind': 'job' },
    };
  }

  async update(id: string, condition: JobCondition, patch: Partial<StoredJob>): Promise<StoredJob> {
    const names: Record<string, string> = { '#id': 'id', '#status': 'status' };
    const values: Record<string, unknown> = {};
    const sets: string[] = [];
    const fields: Record<string, unknown> = { ...patch };
    if (patch.status && isFinal(patch.status) && this.options.retentionSeconds) {
      fields.expiresAt = Math.floor(Date.now() / 1000) + this.options.retentionSeconds;
    }
    for (const [i, [key, value]] of Object.entries(fields).entries()) {
      if (value === undefined) continue;
      names[`#f${i}`] = key;
      values[`:f${i}`] = value;
      sets.push(`#f${i} = :f${i}`);
    }
    const conditions = ['attribute_exists(#id)'];
    const statuses = condition.status.map((s, i) => {
      values[`:c${i}`] = s;
      return `:c${i}`;
    });
    conditions.push(`#status IN (${statuses.join(', ')})`);
    if (condition.attempt !== undefined) {
      names['#attempt'] = 'attempt';
      values[':cAttempt'] = condition.attempt;
      conditions.push('#attempt = :cAttempt');
    }
    if (condition.taskId === null) {
      names['#taskId'] = 'taskId';
      values[':nullType'] = 'NULL';
      conditions.push('(attribute_not_exists(#taskId) OR attribute_type(#taskId, :nullType))');
    } else if (condition.taskId !== undefined) {
      names['#taskId'] = 'taskId';
      values[':cTask'] = condition.taskId;
      conditions.push('#taskId = :cTask');
    }
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { id },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return fromItem(out.Attributes!);
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
      const current = await this.get(id);
      if (!current) throw new NotFoundError(`job ${id} does not exist`);
      throw new TransitionConflictError(
        `job ${id} is ${current.status} (attempt ${current.attempt})`,
        current,
      );
    }
  }

  async claimIdempotencyKey(key: string, claim: IdempotencyClaim): Promise<IdempotencyClaim | undefined> {
    // Claims live beside the jobs under a key no job id can take; they carry no `kind`, so no listing sees them.
    const id = `idempotency#${createHash('sha256').update(key).digest('hex')}`;
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { id, ...claim, ...this.expiry() },
          ConditionExpression: 'attribute_not_exists(id)',
        }),
      );
      return undefined;
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
    }
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { id }, ConsistentRead: true }),
    );
    return { jobId: String(out.Item?.jobId), requestHash: String(out.Item?.requestHash) };
  }

  private expiry(): { expiresAt?: number } {
    const r = this.options.retentionSeconds;
    return r ? { expiresAt: Math.floor(Date.now() / 1000) + r } : {};
  }
}

function fromItem(item: Record<string, unknown>): StoredJob {
  const job = { ...item };
  for (const key of STORAGE_ONLY) delete job[key];
  return job as unknown as StoredJob;
}
