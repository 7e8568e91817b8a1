import { ECSClient } from '@aws-sdk/client-ecs';
import { DynamoConcurrencySlots } from '../adapters/dynamodb/DynamoConcurrencySlots.ts';
import { DynamoWorkerStore } from '../adapters/dynamodb/DynamoWorkerStore.ts';
import { EcsTaskLauncher } from '../adapters/ecs/EcsTaskLauncher.ts';
import { systemClock } from '../core/ports.ts';
import type { ReconcilerRuntime } from '../handlers/reconciler.ts';
import {
  dispatchQueue,
  documentClient,
  jobStore,
  notify,
  schedulerClient,
  sqsClient,
} from './runtimeParts.ts';
import { envOf, region, untraced, type RuntimeOptions } from './runtimeEnv.ts';

/** The reconciler: describes and stops tasks, requeues stuck jobs. */
export function reconcilerRuntime(
  source: NodeJS.ProcessEnv = process.env,
  { traceClient: t = untraced }: RuntimeOptions = {},
): ReconcilerRuntime {
  const get = envOf('reconciler', source);
  const doc = documentClient(source, t);
  const sqs = sqsClient(source, t);
  return {
    jobs: jobStore(get, doc),
    workers: new DynamoWorkerStore(doc, get('WORKERS_TABLE')),
    slots: new DynamoConcurrencySlots(doc, get('JOBS_TABLE')),
    queue: dispatchQueue(get, sqs, schedulerClient(source, t)),
    // Describes the tasks of running jobs on every run: ECS is made at init.
    launcher: new EcsTaskLauncher(t(new ECSClient(region(source))), undefined, {
      cluster: get('CLUSTER_ARN'),
    }),
    clock: systemClock,
    ...notify(get, sqs),
  };
}
