import { Logger } from '@aws-lambda-powertools/logger';
import { Reconciler, type ReconcileSummary, type ReconcilerOptions } from '../core/Reconciler.ts';
import { TaskStatusRecorder } from '../core/TaskStatusRecorder.ts';
import { requeueOverdueDeliveries } from '../core/WebhookDeliverer.ts';
import { withJobObservers } from './jobObservers.ts';
import type { Runtime } from './runtime.ts';

/** What the reconciler uses: lambdas/entrypoints/reconcilerRuntime.ts builds exactly this on AWS. */
export type ReconcilerRuntime = Pick<
  Runtime,
  'jobs' | 'workers' | 'slots' | 'launcher' | 'queue' | 'clock' | 'observer' | 'deliveryQueue'
>;

/** Runs the reconciler; on AWS an EventBridge schedule invokes it every minute, locally a timer. */
export function makeReconcilerHandler(
  runtime: ReconcilerRuntime,
  options: ReconcilerOptions = {},
  logger = new Logger({ serviceName: 'runlater-reconciler' }),
) {
  const observed = withJobObservers(runtime);
  const reconciler = new Reconciler({ ...observed, recorder: new TaskStatusRecorder(observed) }, options);
  const { deliveryQueue } = runtime;
  return async (): Promise<ReconcileSummary> => {
    const summary = await reconciler.run();
    const requeued = deliveryQueue ? await requeueOverdueDeliveries({ ...runtime, queue: deliveryQueue }) : 0;
    if (requeued) logger.info('webhook deliveries queued again', { requeued });
    if (summary.settled || summary.redispatched || summary.timedOut)
      logger.info('reconciled', { ...summary });
    return summary;
  };
}
