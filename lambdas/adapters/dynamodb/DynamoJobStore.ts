import { createHash } from 'node:crypto';
import {
  BatchGetCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { ConflictError, NotFoundError, TransitionConflictError, ValidationError } from '../../core/errors.ts';
import { isFinal, type JobStatus } from '../../core/jobStatus.ts';
import type {
  ChildQuery,
  IdempotencyClaim,
  JobAppend,
  JobCondition,
  JobQuery,
  JobStore,
  StoredJob,
} from '../../core/ports.ts';
import { decodeCursor, encodeCursor, InvalidCursorError, isConditionFailed } from './conditionalWrite.ts';
import { fromItem, isJob } from './jobItems.ts';
import { JobChildren, parentIndexKeys } from './jobChildren.ts';
import { JobStateIndex, stateIndexKeys } from './jobStateIndex.ts';
import { JOB_INDEX } from './tables.ts';
import { JOB_ID_PATTERN } from '../../core/ids.ts';

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
  private readonly stateIndex: JobStateIndex;
  private readonly childIndex: JobChildren;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly options: DynamoJobStoreOptions = {},
  ) {
    this.stateIndex = new JobStateIndex(client, tableName);
    this.childIndex = new JobChildren(client, tableName, (ids) => this.readMany(ids));
  }

  async create(job: StoredJob): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...job, kind: 'job', ...stateIndexKeys(job), ...parentIndexKeys(job) },
          ConditionExpression: 'attribute_not_exists(id)',
        }),
      );
    } catch (err) {
      if (isConditionFailed(err)) throw new ConflictError(`job ${job.id} already exists`);
      throw err;
    }
  }

  async remove(id: string, allowed: readonly JobStatus[]): Promise<void> {
    const values: Record<string, unknown> = { ':job': 'job' };
    const statuses = allowed.map((s, i) => {
      values[`:c${i}`] = s;
      return `:c${i}`;
    });
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { id },
          // Only a job (never an idempotency claim sharing the table) in one of the given states.
          ConditionExpression: `#kind = :job AND #status IN (${statuses.join(', ')})`,
          ExpressionAttributeNames: { '#kind': 'kind', '#status': 'status' },
          ExpressionAttributeValues: values,
        }),
      );
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
      const current = await this.get(id);
      if (!current) throw new NotFoundError(`job ${id} does not exist`);
      throw new TransitionConflictError(`job ${id} is ${current.status}`, current);
    }
  }

  async get(id: string): Promise<StoredJob | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { id }, ConsistentRead: true }),
    );
    // Idempotency claims share the table: only items marked as jobs are jobs.
    return isJob(out.Item) ? fromItem(out.Item) : undefined;
  }

  async list(query: JobQuery): Promise<{ jobs: StoredJob[]; nextCursor?: string }> {
    const base = this.queryFor(query);
    let start = this.startKey(query);
    const jobs: StoredJob[] = [];
    // A filter (worker + status) or a phantom can leave pages short: read on until the page is
    // full, boundedly.
    for (let pages = 0; pages < 20; pages++) {
      const out = await this.client.send(
        new QueryCommand({ ...base, Limit: query.limit - jobs.length, ExclusiveStartKey: start }),
      );
      jobs.push(...(await this.current(out.Items ?? [], query)));
      start = out.LastEvaluatedKey;
      if (!start || jobs.length >= query.limit) break;
    }
    const nextCursor = start ? encodeCursor({ id: start.id }) : undefined;
    return nextCursor ? { jobs, nextCursor } : { jobs };
  }

  /**
   * The cursor carries only the last job id; the rest of DynamoDB's start key is the query's own
   * index key, so a crafted cursor can name a place in the listing but never a malformed key.
   */
  private startKey(query: JobQuery): Record<string, unknown> | undefined {
    let id: unknown;
    try {
      id = decodeCursor(query.cursor)?.id;
    } catch (err) {
      if (err instanceof InvalidCursorError) throw new ValidationError(err.message, 'cursor');
      throw err;
    }
    if (id === undefined) return undefined;
    if (typeof id !== 'string' || !JOB_ID_PATTERN.test(id))
      throw new ValidationError(new InvalidCursorError().message, 'cursor');
    if (query.deliveryDue) return { id, deliveryDue: 'pending' };
    if (query.status) return { id, status: query.status };
    if (query.worker) return { id, worker: query.worker };
    return { id, kind: 'job' };
  }

  /**
   * The listed jobs as the table holds them now. An index entry can outlive its item: dynalite
   * writes index entries before the item, so a kill -9 between the two leaves an entry with no
   * job (and on DynamoDB a deleted item's entry lingers a moment). Such phantoms are skipped and
   * their entries removed; the index's possibly stale copy of a live job is replaced by the item.
   */
  private async current(entries: Record<string, unknown>[], query: JobQuery): Promise<StoredJob[]> {
    if (entries.length === 0) return [];
    const items = await this.readItems(entries.map((e) => String(e.id)));
    const jobs: StoredJob[] = [];
    for (const entry of entries) {
      const item = items.get(String(entry.id));
      if (!isJob(item)) {
        if (!item) await this.removePhantom(entry);
        continue;
      }
      const job = fromItem(item);
      if (query.status && job.status !== query.status) continue;
      if (query.worker && job.worker !== query.worker) continue;
      if (query.deliveryDue && job.deliveryDue !== 'pending') continue;
      jobs.push(job);
    }
    return jobs;
  }

  /** The jobs with these ids as the table holds them now; ids of no job are left out. */
  private async readMany(ids: string[]): Promise<Map<string, StoredJob>> {
    const jobs = new Map<string, StoredJob>();
    for (const [id, item] of await this.readItems(ids)) if (isJob(item)) jobs.set(id, fromItem(item));
    return jobs;
  }

  /** Strongly consistent reads of the items, 100 keys a call (BatchGetItem's most). */
  private async readItems(ids: string[]): Promise<Map<string, Record<string, unknown>>> {
    const items = new Map<string, Record<string, unknown>>();
    // BatchGetItem reads at most 100 keys a call.
    for (let from = 0; from < ids.length; from += 100) {
      let keys: Record<string, unknown>[] | undefined = ids.slice(from, from + 100).map((id) => ({ id }));
      for (let tries = 0; keys?.length && tries < 10; tries++) {
        const out: BatchGetCommandOutput = await this.client.send(
          new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }),
        );
        for (const item of out.Responses?.[this.tableName] ?? []) items.set(String(item.id), item);
        keys = out.UnprocessedKeys?.[this.tableName]?.Keys;
      }
      if (keys?.length) throw new Error('the job table did not answer every read; try again');
    }
    return items;
  }

  /**
   * Removes an index entry whose item is missing, the only way DynamoDB offers: write the item
   * (which rewrites its index entries) and delete it (which deletes them). The write is
   * conditional on there still being no item, and dynalite serialises writes to one key, so a
   * create still in flight wins and is left alone. The marker keeps reads from seeing the
   * stand-in in the instant it exists.
   */
  private async removePhantom(entry: Record<string, unknown>): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...entry, kind: entry.kind ?? 'job', phantom: true },
          ConditionExpression: 'attribute_not_exists(id)',
        }),
      );
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { id: entry.id },
          ConditionExpression: 'phantom = :true',
          ExpressionAttributeValues: { ':true': true },
        }),
      );
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
    }
  }

  private queryFor(query: JobQuery): QueryCommandInput {
    const common = { TableName: this.tableName, ScanIndexForward: query.oldestFirst === true };
    if (query.deliveryDue) {
      return {
        ...common,
        IndexName: JOB_INDEX.deliveryDue,
        KeyConditionExpression: '#due = :due',
        ExpressionAttributeNames: { '#due': 'deliveryDue' },
        ExpressionAttributeValues: { ':due': 'pending' },
      };
    }
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

  async update(
    id: string,
    condition: JobCondition,
    patch: Partial<StoredJob>,
    append: JobAppend = {},
  ): Promise<StoredJob> {
    const names: Record<string, string> = { '#id': 'id', '#status': 'status' };
    const values: Record<string, unknown> = {};
    const sets: string[] = [];
    const fields: Record<string, unknown> = { ...patch };
    if (patch.status && isFinal(patch.status) && this.options.retentionSeconds) {
      fields.expiresAt = Math.floor(Date.now() / 1000) + this.options.retentionSeconds;
    }
    const removes: string[] = [];
    // An index key cannot be null: the pending-delivery marker is removed, not cleared.
    if ('deliveryDue' in patch && patch.deliveryDue === undefined) {
      names['#due'] = 'deliveryDue';
      removes.push('#due');
    }
    // The core sends the worker, priority and heldBack with every status it writes (JobStateMachine).
    if (patch.status && patch.worker && patch.updatedAt) {
      Object.assign(
        fields,
        stateIndexKeys({
          ...patch,
          id,
          worker: patch.worker,
          status: patch.status,
          updatedAt: patch.updatedAt,
        }),
        // ... and an array child's parent and index with it (byParentState).
        parentIndexKeys(patch),
      );
    }
    for (const [i, [key, value]] of Object.entries(fields).entries()) {
      if (value === undefined) continue;
      names[`#f${i}`] = key;
      values[`:f${i}`] = value;
      sets.push(`#f${i} = :f${i}`);
    }
    if (append.deliveries?.length) {
      names['#deliveries'] = 'deliveries';
      names['#due'] = 'deliveryDue';
      values[':appendDeliveries'] = append.deliveries;
      values[':emptyList'] = [];
      values[':due'] = 'pending';
      sets.push('#deliveries = list_append(if_not_exists(#deliveries, :emptyList), :appendDeliveries)');
      sets.push('#due = :due');
    }
    if (append.dependents?.length) {
      names['#dependents'] = 'dependents';
      values[':appendDependents'] = append.dependents;
      values[':emptyList'] = [];
      sets.push('#dependents = list_append(if_not_exists(#dependents, :emptyList), :appendDependents)');
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
    if (condition.updatedAt !== undefined) {
      names['#updatedAt'] = 'updatedAt';
      values[':cUpdated'] = condition.updatedAt;
      conditions.push('#updatedAt = :cUpdated');
    }
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { id },
          UpdateExpression: [
            ...(sets.length ? [`SET ${sets.join(', ')}`] : []),
            ...(removes.length ? [`REMOVE ${removes.join(', ')}`] : []),
          ].join(' '),
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

  async waiting(worker: string, limit: number): Promise<StoredJob[]> {
    const ids = await this.stateIndex.waitingIds(worker, limit);
    // The index is read eventually consistent: each job is read again, and kept if still held back.
    const jobs = await Promise.all(ids.map((id) => this.get(id)));
    return jobs.filter((j): j is StoredJob => j?.status === 'queued' && Boolean(j.heldBack));
  }

  children(parent: string, query: ChildQuery) {
    return this.childIndex.list(parent, query);
  }

  countChildren(parent: string) {
    return this.childIndex.count(parent);
  }

  countActive(worker: string) {
    return this.stateIndex.countActive(worker);
  }

  countFinished(worker: string, since: Date) {
    return this.stateIndex.countFinished(worker, since);
  }

  private expiry(): { expiresAt?: number } {
    const r = this.options.retentionSeconds;
    return r ? { expiresAt: Math.floor(Date.now() / 1000) + r } : {};
  }
}
