import { DynamoConcurrencySlots } from '../adapters/dynamodb/DynamoConcurrencySlots.ts';
import { DynamoWorkerStore } from '../adapters/dynamodb/DynamoWorkerStore.ts';
import { systemClock } from '../core/ports.ts';
import type { TaskStatusRuntime } from '../handlers/taskStatus.ts';
import {
  dispatchQueue,
  documentClient,
  jobStore,
  notify,
  schedulerClient,
  sqsClient,
} from './runtimeParts.ts';
import { envOf, untraced, type RuntimeOptions } from './runtimeEnv.ts';

/** The status function: records task events, and queues the retry of a failed attempt. */
export function taskStatusRuntime(
  source: NodeJS.ProcessEnv = process.env,
  { traceClient: t = untraced }: RuntimeOptions = {},
): TaskStatusRuntime {
  const get = envOf('taskStatus', source);
  const doc = documentClient(source, t);
  const sqs = sqsClient(source, t);
  return {
    jobs: jobStore(get, doc),
    workers: new DynamoWorkerStore(doc, get('WORKERS_TABLE')),
    slots: new DynamoConcurrencySlots(doc, get('JOBS_TABLE')),
    queue: dispatchQueue(get, sqs, schedulerClient(source, t)),
    clock: systemClock,
    ...notify(get, sqs),
  };
}
