import { DynamoConcurrencySlots } from '../adapters/dynamodb/DynamoConcurrencySlots.ts';
import type { TaskStatusRuntime } from '../handlers/taskStatus.ts';
import { documentClient, jobWriterParts, schedulerClient, sqsClient } from './runtimeParts.ts';
import { envOf, untraced, type RuntimeOptions } from './runtimeEnv.ts';

/** The status function: records task events, and queues the retry of a failed attempt. */
export function taskStatusRuntime(
  source: NodeJS.ProcessEnv = process.env,
  { traceClient: t = untraced }: RuntimeOptions = {},
): TaskStatusRuntime {
  const get = envOf('taskStatus', source);
  const doc = documentClient(source, t);
  return {
    ...jobWriterParts(get, { doc, sqs: sqsClient(source, t), scheduler: schedulerClient(source, t) }),
    slots: new DynamoConcurrencySlots(doc, get('JOBS_TABLE')),
  };
}
