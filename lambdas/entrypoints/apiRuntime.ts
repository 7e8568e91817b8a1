import { DynamoConcurrencySlots } from '../adapters/dynamodb/DynamoConcurrencySlots.ts';
import { DynamoScheduleStore } from '../adapters/dynamodb/DynamoScheduleStore.ts';
import { DynamoTokenStore } from '../adapters/dynamodb/DynamoTokenStore.ts';
import { EcsTaskLauncher } from '../adapters/ecs/EcsTaskLauncher.ts';
import { EventBridgeScheduleTrigger } from '../adapters/scheduler/EventBridgeScheduleTrigger.ts';
import type { ScheduleTrigger, TaskLauncher } from '../core/ports.ts';
import type { Runtime } from '../handlers/runtime.ts';
import { lazyPort } from './lazy.ts';
import { documentClient, jobWriterParts, schedulerClient, sqsClient } from './runtimeParts.ts';
import { envOf, untraced, type RuntimeOptions } from './runtimeEnv.ts';
import { ecsClient, taskDefinitions } from './ecsParts.ts';
import { logReader } from './logsParts.ts';
import { s3StdinStore } from './s3Parts.ts';
import { bundledOpenApiDocument } from './bundledOpenApi.ts';

/**
 * The HTTP API: every part, since it manages workers, jobs, tokens and schedules. Only DynamoDB
 * is made at init (the token check needs it on every request); the ECS, ECR, S3, CloudWatch Logs,
 * Scheduler and SQS clients are made by the first request of a route that uses them.
 */
export function apiRuntime(
  source: NodeJS.ProcessEnv = process.env,
  { traceClient: t = untraced }: RuntimeOptions = {},
): Runtime {
  const get = envOf('api', source);
  const doc = documentClient(source, t);
  const ecs = ecsClient(source, t);
  const scheduler = schedulerClient(source, t);
  const sqs = sqsClient(source, t);
  const stdin = s3StdinStore(get('STDIN_BUCKET'), source, t);
  const definitions = taskDefinitions(get, source, ecs, t);
  const cluster = get('CLUSTER_ARN');
  const trigger = {
    groupName: get('SCHEDULER_GROUP'),
    targetArn: get('SCHEDULE_FIRE_ARN'),
    roleArn: get('SCHEDULER_ROLE_ARN'),
  };
  return {
    ...jobWriterParts(get, { doc, sqs, scheduler }),
    slots: new DynamoConcurrencySlots(doc, get('JOBS_TABLE')),
    tokens: new DynamoTokenStore(doc, get('TOKENS_TABLE')),
    schedules: new DynamoScheduleStore(doc, get('SCHEDULES_TABLE')),
    scheduleTrigger: lazyPort<ScheduleTrigger>(['apply', 'remove'], async () => {
      return new EventBridgeScheduleTrigger(await scheduler(), trigger);
    }),
    stdin,
    // Cancel stops tasks: the cluster is all that takes.
    launcher: lazyPort<TaskLauncher>(['launch', 'stop', 'describe'], async () => {
      return new EcsTaskLauncher(await ecs(), stdin, { cluster });
    }),
    logs: logReader(get('JOB_LOG_GROUP'), source, t),
    onWorkerChanged: async (worker) => (await definitions()).register(worker),
    openApiDocument: bundledOpenApiDocument,
  };
}
