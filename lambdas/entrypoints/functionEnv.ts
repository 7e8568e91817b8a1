/**
 * What each runlater function reads from its environment, declared once. The CDK stack gives each
 * function exactly these variables (lib/RunLater.ts), the entry points read nothing else (their
 * `<name>Runtime.ts` factories), and test/aws/functions.test.ts compares the two function by
 * function. No SDK import here: the CDK app loads this file.
 */

/** Every variable some function reads, with what it holds. */
export const ENV_VARS = {
  WORKERS_TABLE: 'the workers table',
  JOBS_TABLE: 'the jobs table',
  TOKENS_TABLE: 'the API tokens table',
  SCHEDULES_TABLE: 'the schedules table',
  JOB_RETENTION_DAYS: 'days a finished job is kept (DynamoDB TTL)',
  DISPATCH_QUEUE_URL: 'the dispatch queue (SQS)',
  DISPATCH_QUEUE_ARN: 'the dispatch queue, as the target of one-time schedules for long delays',
  SCHEDULER_GROUP: "runlater's EventBridge Scheduler group",
  SCHEDULER_ROLE_ARN: 'the role EventBridge Scheduler assumes for runlater schedules',
  SCHEDULE_FIRE_ARN: 'the schedule-fire function, the target of recurring schedules',
  STDIN_BUCKET: 'the bucket for stdin too large to travel inline',
  CLUSTER_ARN: 'the ECS cluster jobs run in',
  TASK_FAMILY_PREFIX: "the start of this stack's task definition families",
  SUBNETS: 'subnets for job tasks, comma-separated',
  SECURITY_GROUPS: 'security groups for job tasks, comma-separated',
  ASSIGN_PUBLIC_IP: 'whether job tasks get a public IP (true/false)',
  EXECUTION_ROLE_ARN: 'the role ECS pulls images and writes job logs with',
  SHIM_IMAGE: "the init container's image (the shim)",
  JOB_LOG_GROUP: 'the log group of job output',
  DELIVERY_QUEUE_URL: 'the webhook delivery queue (SQS)',
  EVENT_BUS_NAME: 'the event bus job state changes are put on',
  WEBHOOK_ALLOW_PRIVATE: 'whether webhooks may reach private, loopback and link-local addresses (true/false)',
} as const;

export type EnvVar = keyof typeof ENV_VARS;

const STORE = ['JOBS_TABLE', 'JOB_RETENTION_DAYS'] as const;
/** The dispatch queue, with EventBridge Scheduler behind it for delays past SQS's 15 minutes. */
const QUEUE = ['DISPATCH_QUEUE_URL', 'DISPATCH_QUEUE_ARN', 'SCHEDULER_GROUP', 'SCHEDULER_ROLE_ARN'] as const;
/** Registering a worker's task definition (on create and update, and when a deploy changed it). */
const TASK_DEFINITIONS = ['TASK_FAMILY_PREFIX', 'EXECUTION_ROLE_ARN', 'SHIM_IMAGE', 'JOB_LOG_GROUP'] as const;
/** What a job's change raises: its webhook deliveries (queued). Its event comes from the table's stream. */
const NOTIFY = ['DELIVERY_QUEUE_URL'] as const;
const LAUNCH = ['CLUSTER_ARN', 'SUBNETS', 'SECURITY_GROUPS', 'ASSIGN_PUBLIC_IP', 'STDIN_BUCKET'] as const;

/** The variables of each function, in the order the stack sets them. */
export const FUNCTION_ENV = {
  api: [
    ...STORE,
    'WORKERS_TABLE',
    'TOKENS_TABLE',
    'SCHEDULES_TABLE',
    ...QUEUE,
    'SCHEDULE_FIRE_ARN',
    'STDIN_BUCKET',
    // Cancel stops the task; that needs the cluster only.
    'CLUSTER_ARN',
    ...TASK_DEFINITIONS,
    ...NOTIFY,
  ],
  // JOB_LOG_GROUP (in TASK_DEFINITIONS) is also where a pipeline's stdinFrom reads its source's stdout.
  dispatcher: [...STORE, 'WORKERS_TABLE', ...QUEUE, ...LAUNCH, ...TASK_DEFINITIONS, ...NOTIFY],
  // An attempt that ends gives its concurrency slot back, reading the worker's limit.
  taskStatus: [...STORE, 'WORKERS_TABLE', ...QUEUE, ...NOTIFY],
  reconciler: [...STORE, 'WORKERS_TABLE', ...QUEUE, 'CLUSTER_ARN', ...NOTIFY],
  scheduleFire: [...STORE, 'WORKERS_TABLE', 'SCHEDULES_TABLE', ...QUEUE, 'STDIN_BUCKET', ...NOTIFY],
  webhookDelivery: [...STORE, 'WORKERS_TABLE', 'DELIVERY_QUEUE_URL', 'WEBHOOK_ALLOW_PRIVATE'],
  // Fed by the jobs table's stream: it reads no table, only puts events.
  jobEvents: ['EVENT_BUS_NAME'],
} as const satisfies Record<string, readonly EnvVar[]>;

export type FunctionName = keyof typeof FUNCTION_ENV;
export const FUNCTION_NAMES = Object.keys(FUNCTION_ENV) as FunctionName[];
export type FunctionEnvVar<F extends FunctionName> = (typeof FUNCTION_ENV)[F][number];
