import { DynamoConcurrencySlots } from '../adapters/dynamodb/DynamoConcurrencySlots.ts';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EcsTaskLauncher } from '../adapters/ecs/EcsTaskLauncher.ts';
import type { DispatcherRuntime } from '../handlers/dispatcher.ts';
import { documentClient, jobWriterParts, schedulerClient, sqsClient } from './runtimeParts.ts';
import { envOf, region, untraced, type RuntimeOptions } from './runtimeEnv.ts';
import { taskDefinitions } from './ecsParts.ts';
import { logReader } from './logsParts.ts';
import { s3StdinStore } from './s3Parts.ts';

/**
 * The dispatcher: starts tasks, first bringing a worker's task definition up to this deploy. ECS
 * is its work; S3 (large stdin), ECR (a registration), CloudWatch Logs (a pipeline's stdin) and
 * Scheduler (long delays) clients are made when a message first needs them.
 */
export function dispatcherRuntime(
  source: NodeJS.ProcessEnv = process.env,
  { traceClient: t = untraced }: RuntimeOptions = {},
): DispatcherRuntime {
  const get = envOf('dispatcher', source);
  const doc = documentClient(source, t);
  const sqs = sqsClient(source, t);
  // Every message launches: ECS is made at init.
  const ecs = t(new ECSClient(region(source)));
  const stdin = s3StdinStore(get('STDIN_BUCKET'), source, t);
  const definitions = taskDefinitions(get, source, async () => ecs, t);
  const launcher = new EcsTaskLauncher(ecs, stdin, {
    cluster: get('CLUSTER_ARN'),
    familyPrefix: get('TASK_FAMILY_PREFIX'),
    network: {
      subnets: get('SUBNETS').split(','),
      securityGroups: get('SECURITY_GROUPS').split(','),
      assignPublicIp: get('ASSIGN_PUBLIC_IP') === 'true',
    },
    beforeLaunch: async (worker) => (await definitions()).ensureCurrent(worker),
  });
  return {
    ...jobWriterParts(get, { doc, sqs, scheduler: schedulerClient(source, t) }),
    slots: new DynamoConcurrencySlots(doc, get('JOBS_TABLE')),
    launcher,
    // A pipeline's stdinFrom: the source job's stdout, read back from its log group.
    logs: logReader(get('JOB_LOG_GROUP'), source, t),
    stdin,
  };
}
