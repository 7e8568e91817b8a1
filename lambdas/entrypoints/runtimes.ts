import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CloudWatchLogReader } from '../adapters/cloudwatch/CloudWatchLogReader.ts';
import { DynamoConcurrencySlots } from '../adapters/dynamodb/DynamoConcurrencySlots.ts';
import { DynamoJobStore } from '../adapters/dynamodb/DynamoJobStore.ts';
import { DynamoScheduleStore } from '../adapters/dynamodb/DynamoScheduleStore.ts';
import { DynamoTokenStore } from '../adapters/dynamodb/DynamoTokenStore.ts';
import { DynamoWorkerStore } from '../adapters/dynamodb/DynamoWorkerStore.ts';
import { EventBridgeJobEvents } from '../adapters/eventbridge/EventBridgeJobEvents.ts';
import { HttpWebhookSender } from '../adapters/http/HttpWebhookSender.ts';
import { EcsTaskDefinitions } from '../adapters/ecs/EcsTaskDefinitions.ts';
import { EcsTaskLauncher } from '../adapters/ecs/EcsTaskLauncher.ts';
import { RegistryClient } from '../adapters/registry/RegistryClient.ts';
import { S3StdinStore } from '../adapters/s3/S3StdinStore.ts';
import { EventBridgeScheduleTrigger } from '../adapters/scheduler/EventBridgeScheduleTrigger.ts';
import { SchedulerDelayedQueue } from '../adapters/scheduler/SchedulerDelayedQueue.ts';
import { SqsDeliveryQueue } from '../adapters/sqs/SqsDeliveryQueue.ts';
import { SqsDispatchQueue } from '../adapters/sqs/SqsDispatchQueue.ts';
import { systemClock } from '../core/ports.ts';
import type { DispatcherRuntime } from '../handlers/dispatcher.ts';
import type { JobEventsRuntime } from '../handlers/jobEvents.ts';
import type { ReconcilerRuntime } from '../handlers/reconciler.ts';
import type { Runtime } from '../handlers/runtime.ts';
import type { ScheduleFireRuntime } from '../handlers/scheduleFire.ts';
import type { TaskStatusRuntime } from '../handlers/taskStatus.ts';
import type { WebhookDeliveryRuntime } from '../handlers/webhookDelivery.ts';
import { FUNCTION_ENV, type FunctionEnvVar, type FunctionName } from './functionEnv.ts';

/**
 * The runtime of each AWS function, built from exactly the variables functionEnv.ts declares for
 * it: a factory sees no other variable, so what the stack sets and what the code reads cannot
 * drift apart. Each entry point calls its own factory at import.
 */
export type Env<F extends FunctionName> = (name: FunctionEnvVar<F>) => string;

/** The declared variables of one function; all of them must be set (the stack sets them all). */
export function envOf<F extends FunctionName>(fn: F, source: NodeJS.ProcessEnv = process.env): Env<F> {
  const missing = FUNCTION_ENV[fn].filter((name) => !source[name]);
  if (missing.length > 0)
    throw new Error(`runlater ${fn}: environment variable(s) ${missing.join(', ')} not set`);
  return (name) => source[name]!;
}

/** How the entry points instrument what the factories build: each SDK client traced (X-Ray). */
export interface RuntimeOptions {
  traceClient?: <T>(client: T) => T;
}
const untraced = <T>(client: T): T => client;

/** The region Lambda runs in (AWS_REGION is Lambda's own, always set there). */
const region = (source: NodeJS.ProcessEnv) => ({ region: source.AWS_REGION ?? 'us-east-1' });

function documentClient(source: NodeJS.ProcessEnv, t: <T>(client: T) => T) {
  return DynamoDBDocumentClient.from(t(new DynamoDBClient(region(source))), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

type Store = 'JOBS_TABLE' | 'JOB_RETENTION_DAYS';
type Queue = 'DISPATCH_QUEUE_URL' | 'DISPATCH_QUEUE_ARN' | 'SCHEDULER_GROUP' | 'SCHEDULER_ROLE_ARN';
type Definitions = 'TASK_FAMILY_PREFIX' | 'EXECUTION_ROLE_ARN' | 'SHIM_IMAGE' | 'JOB_LOG_GROUP';

function jobStore(get: (name: Store) => string, doc: DynamoDBDocumentClient) {
  return new DynamoJobStore(doc, get('JOBS_TABLE'), {
    retentionSeconds: Math.round(Number(get('JOB_RETENTION_DAYS')) * 86400),
  });
}

/**
 * What every function that changes jobs raises: webhook deliveries (queued). Their EventBridge
 * events are not raised here: the jobEvents function makes them from the table's stream.
 */
function notify(
  get: (name: 'DELIVERY_QUEUE_URL') => string,
  source: NodeJS.ProcessEnv,
  t: <T>(client: T) => T,
) {
  return {
    deliveryQueue: new SqsDeliveryQueue(t(new SQSClient(region(source))), get('DELIVERY_QUEUE_URL')),
  };
}

function dispatchQueue(
  get: (name: Queue) => string,
  source: NodeJS.ProcessEnv,
  t: <T>(client: T) => T,
  scheduler?: SchedulerClient,
) {
  return new SchedulerDelayedQueue(
    new SqsDispatchQueue(t(new SQSClient(region(source))), get('DISPATCH_QUEUE_URL')),
    scheduler ?? t(new SchedulerClient(region(source))),
    {
      groupName: get('SCHEDULER_GROUP'),
      queueArn: get('DISPATCH_QUEUE_ARN'),
      roleArn: get('SCHEDULER_ROLE_ARN'),
    },
  );
}

function taskDefinitions(
  get: (name: Definitions) => string,
  source: NodeJS.ProcessEnv,
  ecs: ECSClient,
  t: <T>(client: T) => T,
) {
  const ecr = t(new ECRClient(region(source)));
  const registry = new RegistryClient({
    // The account's own ECR registries need its credentials; public registries take anonymous tokens.
    basicAuth: async (host) => {
      if (!/\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com$/.test(host)) return undefined;
      const out = await ecr.send(new GetAuthorizationTokenCommand({}));
      return out.authorizationData?.[0]?.authorizationToken;
    },
  });
  return new EcsTaskDefinitions(
    ecs,
    {
      executionRoleArn: get('EXECUTION_ROLE_ARN'),
      shimImage: get('SHIM_IMAGE'),
      logGroupName: get('JOB_LOG_GROUP'),
      familyPrefix: get('TASK_FAMILY_PREFIX'),
      region: region(source).region,
    },
    (image) => registry.imageCommand(image),
  );
}

/** The HTTP API: every part, since it manages workers, jobs, tokens and schedules. */
export function apiRuntime(
  source: NodeJS.ProcessEnv = process.env,
  { traceClient: t = untraced }: RuntimeOptions = {},
): Runtime {
  const get = envOf('api', source);
  const doc = documentClient(source, t);
  const ecs = t(new ECSClient(region(source)));
  const scheduler = t(new SchedulerClient(region(source)));
  const stdin = new S3StdinStore(t(new S3Client(region(source))), get('STDIN_BUCKET'));
  return {
    jobs: jobStore(get, doc),
    workers: new DynamoWorkerStore(doc, get('WORKERS_TABLE')),
    slots: new DynamoConcurrencySlots(doc, get('JOBS_TABLE')),
    tokens: new DynamoTokenStore(doc, get('TOKENS_TABLE')),
    schedules: new DynamoScheduleStore(doc, get('SCHEDULES_TABLE')),
    queue: dispatchQueue(get, source, t, scheduler),
    scheduleTrigger: new EventBridgeScheduleTrigger(scheduler, {
      groupName: get('SCHEDULER_GROUP'),
      targetArn: get('SCHEDULE_FIRE_ARN'),
      roleArn: get('SCHEDULER_ROLE_ARN'),
    }),
    stdin,
    // Cancel stops tasks: the cluster is all that takes.
    launcher: new EcsTaskLauncher(ecs, stdin, { cluster: get('CLUSTER_ARN') }),
    logs: new CloudWatchLogReader(t(new CloudWatchLogsClient(region(source))), get('JOB_LOG_GROUP')),
    clock: systemClock,
    onWorkerChanged: taskDefinitions(get, source, ecs, t).register,
    ...notify(get, source, t),
  };
}

/** The dispatcher: starts tasks, first bringing a worker's task definition up to this deploy. */
export function dispatcherRuntime(
  source: NodeJS.ProcessEnv = process.env,
  { traceClient: t = untraced }: RuntimeOptions = {},
): DispatcherRuntime {
  const get = envOf('dispatcher', source);
  const doc = documentClient(source, t);
  const ecs = t(new ECSClient(region(source)));
  const stdin = new S3StdinStore(t(new S3Client(region(source))), get('STDIN_BUCKET'));
  return {
    jobs: jobStore(get, doc),
    workers: new DynamoWorkerStore(doc, get('WORKERS_TABLE')),
    slots: new DynamoConcurrencySlots(doc, get('JOBS_TABLE')),
    queue: dispatchQueue(get, source, t),
    launcher: new EcsTaskLauncher(ecs, stdin, {
      cluster: get('CLUSTER_ARN'),
      familyPrefix: get('TASK_FAMILY_PREFIX'),
      network: {
        subnets: get('SUBNETS').split(','),
        securityGroups: get('SECURITY_GROUPS').split(','),
        assignPublicIp: get('ASSIGN_PUBLIC_IP') === 'true',
      },
      beforeLaunch: taskDefinitions(get, source, ecs, t).ensureCurrent,
    }),
    // A pipeline's stdinFrom: the source job's stdout, read back from its log group.
    logs: new CloudWatchLogReader(t(new CloudWatchLogsClient(region(source))), get('JOB_LOG_GROUP')),
    stdin,
    clock: systemClock,
    ...notify(get, source, t),
  };
}

/** The status function: records task events, and queues the retry of a failed attempt. */
export function taskStatusRuntime(
  source: NodeJS.ProcessEnv = process.env,
  { traceClient: t = untraced }: RuntimeOptions = {},
): TaskStatusRuntime {
  const get = envOf('taskStatus', source);
  const doc = documentClient(source, t);
  return {
    jobs: jobStore(get, doc),
    workers: new DynamoWorkerStore(doc, get('WORKERS_TABLE')),
    slots: new DynamoConcurrencySlots(doc, get('JOBS_TABLE')),
    queue: dispatchQueue(get, source, t),
    clock: systemClock,
    ...notify(get, source, t),
  };
}

/** The reconciler: describes and stops tasks, requeues stuck jobs. */
export function reconcilerRuntime(
  source: NodeJS.ProcessEnv = process.env,
  { traceClient: t = untraced }: RuntimeOptions = {},
): ReconcilerRuntime {
  const get = envOf('reconciler', source);
  const doc = documentClient(source, t);
  return {
    jobs: jobStore(get, doc),
    workers: new DynamoWorkerStore(doc, get('WORKERS_TABLE')),
    slots: new DynamoConcurrencySlots(doc, get('JOBS_TABLE')),
    queue: dispatchQueue(get, source, t),
    launcher: new EcsTaskLauncher(t(new ECSClient(region(source))), undefined, {
      cluster: get('CLUSTER_ARN'),
    }),
    clock: systemClock,
    ...notify(get, source, t),
  };
}

/** Schedule runs: queue a job (large stdin to S3), as the API does. */
export function scheduleFireRuntime(
  source: NodeJS.ProcessEnv = process.env,
  { traceClient: t = untraced }: RuntimeOptions = {},
): ScheduleFireRuntime {
  const get = envOf('scheduleFire', source);
  const doc = documentClient(source, t);
  return {
    jobs: jobStore(get, doc),
    workers: new DynamoWorkerStore(doc, get('WORKERS_TABLE')),
    schedules: new DynamoScheduleStore(doc, get('SCHEDULES_TABLE')),
    queue: dispatchQueue(get, source, t),
    stdin: new S3StdinStore(t(new S3Client(region(source))), get('STDIN_BUCKET')),
    clock: systemClock,
    ...notify(get, source, t),
  };
}

/**
 * The delivery function: fed by the delivery queue, it alone sends webhooks. On AWS only https,
 * and no private, loopback or link-local target unless the stack allows it (WEBHOOK_ALLOW_PRIVATE).
 */
export function webhookDeliveryRuntime(
  source: NodeJS.ProcessEnv = process.env,
  { traceClient: t = untraced }: RuntimeOptions = {},
): WebhookDeliveryRuntime {
  const get = envOf('webhookDelivery', source);
  const doc = documentClient(source, t);
  return {
    jobs: jobStore(get, doc),
    workers: new DynamoWorkerStore(doc, get('WORKERS_TABLE')),
    deliveryQueue: new SqsDeliveryQueue(t(new SQSClient(region(source))), get('DELIVERY_QUEUE_URL')),
    webhookSender: new HttpWebhookSender({
      allowHttp: false,
      allowPrivateAddresses: get('WEBHOOK_ALLOW_PRIVATE') === 'true',
    }),
    clock: systemClock,
  };
}

/** The job events function: fed by the jobs table's stream, it puts each transition on the bus. */
export function jobEventsRuntime(
  source: NodeJS.ProcessEnv = process.env,
  { traceClient: t = untraced }: RuntimeOptions = {},
): JobEventsRuntime {
  const get = envOf('jobEvents', source);
  return {
    events: new EventBridgeJobEvents(t(new EventBridgeClient(region(source))), get('EVENT_BUS_NAME')),
  };
}
