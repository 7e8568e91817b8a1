import { DynamoConcurrencySlots } from '../adapters/dynamodb/DynamoConcurrencySlots.ts';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EcsTaskLauncher } from '../adapters/ecs/EcsTaskLauncher.ts';
import type { ReconcilerRuntime } from '../handlers/reconciler.ts';
import { documentClient, jobWriterParts, schedulerClient, sqsClient } from './runtimeParts.ts';
import { envOf, region, untraced, type RuntimeOptions } from './runtimeEnv.ts';

/** The reconciler: describes and stops tasks, requeues stuck jobs. */
export function reconcilerRuntime(
  source: NodeJS.ProcessEnv = process.env,
  { traceClient: t = untraced }: RuntimeOptions = {},
): ReconcilerRuntime {
  const get = envOf('reconciler', source);
  const doc = documentClient(source, t);
  return {
    ...jobWriterParts(get, { doc, sqs: sqsClient(source, t), scheduler: schedulerClient(source, t) }),
    slots: new DynamoConcurrencySlots(doc, get('JOBS_TABLE')),
    // Describes the tasks of running jobs on every run: ECS is made at init.
    launcher: new EcsTaskLauncher(t(new ECSClient(region(source))), undefined, {
      cluster: get('CLUSTER_ARN'),
    }),
  };
}
