import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoJobStore } from '../adapters/dynamodb/DynamoJobStore.ts';
import { DynamoWorkerStore } from '../adapters/dynamodb/DynamoWorkerStore.ts';
import { SchedulerDelayedQueue } from '../adapters/scheduler/SchedulerDelayedQueue.ts';
import { SqsDeliveryQueue } from '../adapters/sqs/SqsDeliveryQueue.ts';
import { SqsDispatchQueue } from '../adapters/sqs/SqsDispatchQueue.ts';
import { systemClock, type Clock, type DeliveryQueue, type DispatchQueue } from '../core/ports.ts';
import { lazy, lazyPort } from './lazy.ts';
import { region, type Trace } from './runtimeEnv.ts';

// What the per-function runtime factories (apiRuntime.ts, dispatcherRuntime.ts, …) share:
// DynamoDB, the dispatch queue and job notifications (the environment is runtimeEnv.ts). ECS, S3
// and CloudWatch Logs live in files of their own (ecsParts.ts, s3Parts.ts, logsParts.ts), imported
// only by the functions that use them, so no bundle carries a client its function never calls.

/** Every function that reads and writes jobs makes DynamoDB at init: each invocation uses it. */
export function documentClient(source: NodeJS.ProcessEnv, t: Trace): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(t(new DynamoDBClient(region(source))), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

type Store = 'JOBS_TABLE' | 'JOB_RETENTION_DAYS';
type Queue = 'DISPATCH_QUEUE_URL' | 'DISPATCH_QUEUE_ARN' | 'SCHEDULER_GROUP' | 'SCHEDULER_ROLE_ARN';

export function jobStore(get: (name: Store) => string, doc: DynamoDBDocumentClient): DynamoJobStore {
  return new DynamoJobStore(doc, get('JOBS_TABLE'), {
    retentionSeconds: Math.round(Number(get('JOB_RETENTION_DAYS')) * 86400),
  });
}

/** The function's SQS client, made when a queue is first sent to. */
export function sqsClient(source: NodeJS.ProcessEnv, t: Trace): () => Promise<SQSClient> {
  return lazy(async () => t(new SQSClient(region(source))));
}

/** The function's EventBridge Scheduler client, made when first needed (long delays, schedules). */
export function schedulerClient(source: NodeJS.ProcessEnv, t: Trace): () => Promise<SchedulerClient> {
  return lazy(async () => t(new SchedulerClient(region(source))));
}

/**
 * The dispatch queue: SQS, with EventBridge Scheduler behind it for delays past SQS's 15 minutes.
 * Both clients are made when a message is first sent: many invocations send none.
 */
export function dispatchQueue(
  get: (name: Queue) => string,
  sqs: () => Promise<SQSClient>,
  scheduler: () => Promise<SchedulerClient>,
): DispatchQueue {
  const url = get('DISPATCH_QUEUE_URL');
  const delays = {
    groupName: get('SCHEDULER_GROUP'),
    queueArn: get('DISPATCH_QUEUE_ARN'),
    roleArn: get('SCHEDULER_ROLE_ARN'),
  };
  return lazyPort<DispatchQueue>(
    ['send'],
    async () => new SchedulerDelayedQueue(new SqsDispatchQueue(await sqs(), url), await scheduler(), delays),
  );
}

/**
 * What every function that changes jobs raises: webhook deliveries (queued), the client made with
 * the first job change that raises one. Their EventBridge events are not raised here: the
 * jobEvents function makes them from the table's stream.
 */
export function notify(
  get: (name: 'DELIVERY_QUEUE_URL') => string,
  sqs: () => Promise<SQSClient>,
): { deliveryQueue: DeliveryQueue } {
  const deliveryUrl = get('DELIVERY_QUEUE_URL');
  return {
    deliveryQueue: lazyPort<DeliveryQueue>(
      ['send'],
      async () => new SqsDeliveryQueue(await sqs(), deliveryUrl),
    ),
  };
}

/**
 * What every function that changes jobs (api, dispatcher, status, reconciler, schedule-fire) is
 * built on: the jobs, the workers, the dispatch queue, the clock and the delivery queue, on the
 * function's DynamoDB and lazily made SQS and Scheduler clients. (Concurrency slots are added by
 * the functions that end attempts: schedule-fire's bundle stays without them.)
 */
export function jobWriterParts(
  get: (name: Store | Queue | 'WORKERS_TABLE' | 'DELIVERY_QUEUE_URL') => string,
  clients: {
    doc: DynamoDBDocumentClient;
    sqs: () => Promise<SQSClient>;
    scheduler: () => Promise<SchedulerClient>;
  },
): {
  jobs: DynamoJobStore;
  workers: DynamoWorkerStore;
  queue: DispatchQueue;
  clock: Clock;
  deliveryQueue: DeliveryQueue;
} {
  const { doc, sqs, scheduler } = clients;
  return {
    jobs: jobStore(get, doc),
    workers: new DynamoWorkerStore(doc, get('WORKERS_TABLE')),
    queue: dispatchQueue(get, sqs, scheduler),
    clock: systemClock,
    ...notify(get, sqs),
  };
}
