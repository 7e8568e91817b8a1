import { DynamoScheduleStore } from '../adapters/dynamodb/DynamoScheduleStore.ts';
import { DynamoWorkerStore } from '../adapters/dynamodb/DynamoWorkerStore.ts';
import { systemClock } from '../core/ports.ts';
import type { ScheduleFireRuntime } from '../handlers/scheduleFire.ts';
import {
  dispatchQueue,
  documentClient,
  jobStore,
  notify,
  schedulerClient,
  sqsClient,
} from './runtimeParts.ts';
import { envOf, untraced, type RuntimeOptions } from './runtimeEnv.ts';
import { s3StdinStore } from './s3Parts.ts';

/** Schedule runs: queue a job (large stdin to S3, loaded when a run first has some), as the API does. */
export function scheduleFireRuntime(
  source: NodeJS.ProcessEnv = process.env,
  { traceClient: t = untraced }: RuntimeOptions = {},
): ScheduleFireRuntime {
  const get = envOf('scheduleFire', source);
  const doc = documentClient(source, t);
  const sqs = sqsClient(source, t);
  return {
    jobs: jobStore(get, doc),
    workers: new DynamoWorkerStore(doc, get('WORKERS_TABLE')),
    schedules: new DynamoScheduleStore(doc, get('SCHEDULES_TABLE')),
    queue: dispatchQueue(get, sqs, schedulerClient(source, t)),
    stdin: s3StdinStore(get('STDIN_BUCKET'), source, t),
    clock: systemClock,
    ...notify(get, sqs),
  };
}
