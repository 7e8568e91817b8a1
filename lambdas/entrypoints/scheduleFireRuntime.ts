import { DynamoScheduleStore } from '../adapters/dynamodb/DynamoScheduleStore.ts';
import type { ScheduleFireRuntime } from '../handlers/scheduleFire.ts';
import { documentClient, jobWriterParts, schedulerClient, sqsClient } from './runtimeParts.ts';
import { envOf, untraced, type RuntimeOptions } from './runtimeEnv.ts';
import { s3StdinStore } from './s3Parts.ts';

/** Schedule runs: queue a job (large stdin to S3, loaded when a run first has some), as the API does. */
export function scheduleFireRuntime(
  source: NodeJS.ProcessEnv = process.env,
  { traceClient: t = untraced }: RuntimeOptions = {},
): ScheduleFireRuntime {
  const get = envOf('scheduleFire', source);
  const doc = documentClient(source, t);
  return {
    ...jobWriterParts(get, { doc, sqs: sqsClient(source, t), scheduler: schedulerClient(source, t) }),
    schedules: new DynamoScheduleStore(doc, get('SCHEDULES_TABLE')),
    stdin: s3StdinStore(get('STDIN_BUCKET'), source, t),
  };
}
