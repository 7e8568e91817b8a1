/**
 * The DynamoDB tables, described once: the CDK stack creates them from this, and `runlater dev`
 * creates the same tables in dynalite. Keys only; items carry the rest.
 */
export interface TableDefinition {
  /** Logical name; the physical name comes from the environment (`<PREFIX>_TABLE`). */
  name: 'workers' | 'jobs' | 'tokens' | 'schedules';
  partitionKey: string;
  indexes: { name: string; partitionKey: string; sortKey: string }[];
  /** Attribute holding the epoch-seconds expiry, when items expire. */
  ttlAttribute?: string;
}

export const JOB_INDEX = {
  /** Every job, newest first: partition `kind` is the constant "job". */
  all: 'byCreated',
  byWorker: 'byWorker',
  byStatus: 'byStatus',
  /** Sparse: only jobs with a pending webhook delivery carry `deliveryDue`. */
  deliveryDue: 'byDeliveryDue',
  /**
   * A worker's jobs by state (jobStateIndex.ts): partition `<worker>#<status>` (or `<worker>#held`
   * while held back by the concurrency limit), sorted by when they reached it (held: by start
   * order). One index for both, since CloudFormation adds one index per table per update.
   */
  byWorkerState: 'byWorkerState',
  /**
   * Sparse: an array's children by state (jobChildren.ts), partition `<parent>#<status>`, sorted
   * by index: to count a parent's children, list those in one state, and find unfinished ones.
   */
  byParentState: 'byParentState',
} as const;

export const TABLES: Record<TableDefinition['name'], TableDefinition> = {
  workers: { name: 'workers', partitionKey: 'name', indexes: [] },
  jobs: {
    name: 'jobs',
    partitionKey: 'id',
    indexes: [
      { name: JOB_INDEX.all, partitionKey: 'kind', sortKey: 'id' },
      { name: JOB_INDEX.byWorker, partitionKey: 'worker', sortKey: 'id' },
      { name: JOB_INDEX.byStatus, partitionKey: 'status', sortKey: 'id' },
      { name: JOB_INDEX.deliveryDue, partitionKey: 'deliveryDue', sortKey: 'id' },
      { name: JOB_INDEX.byWorkerState, partitionKey: 'workerState', sortKey: 'stateOrder' },
      { name: JOB_INDEX.byParentState, partitionKey: 'parentState', sortKey: 'parentOrder' },
    ],
    ttlAttribute: 'expiresAt',
  },
  tokens: { name: 'tokens', partitionKey: 'hash', indexes: [] },
  schedules: { name: 'schedules', partitionKey: 'name', indexes: [] },
};

/** Environment variables naming the physical tables (set by the CDK stack and by `runlater dev`). */
export const TABLE_ENV = {
  workers: 'WORKERS_TABLE',
  jobs: 'JOBS_TABLE',
  tokens: 'TOKENS_TABLE',
  schedules: 'SCHEDULES_TABLE',
} as const;
