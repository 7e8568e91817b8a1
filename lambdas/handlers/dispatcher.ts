import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import { Dispatcher } from '../core/Dispatcher.ts';
import { RetryLaterError } from '../core/errors.ts';
import { METRICS } from './jobMetrics.ts';
import { withJobObservers } from './jobObservers.ts';
import type { Runtime } from './runtime.ts';

/** What the dispatcher uses: lambdas/entrypoints/dispatcherRuntime.ts builds exactly this on AWS. */
export type DispatcherRuntime = Pick<
  Runtime,
  | 'jobs'
  | 'workers'
  | 'slots'
  | 'launcher'
  | 'queue'
  | 'clock'
  | 'observer'
  | 'logs'
  | 'stdin'
  | 'deliveryQueue'
>;

const DispatchMessage = z.object({
  jobId: z.string(),
  attempt: z.number().int().min(1),
  settle: z.literal(true).optional(),
});

/**
 * Consumes the dispatch queue. A record that fails (e.g. RunTask throttled) is reported back as a
 * batch item failure, so the queue redelivers it later and the rest of the batch is not retried.
 */
export function makeDispatcherHandler(
  runtime: DispatcherRuntime,
  logger = new Logger({ serviceName: 'runlater-dispatcher' }),
  metrics: Pick<Metrics, 'singleMetric'> = new Metrics({
    namespace: METRICS.namespace,
    serviceName: METRICS.dispatcherService,
  }),
) {
  // One EMF line per launch put back or failed: the dashboard graphs them (lib/RunLaterDashboard.ts).
  const count = (name: string, dimensions: Record<string, string>) => {
    const single = metrics.singleMetric();
    for (const [key, value] of Object.entries(dimensions)) single.addDimension(key, value);
    single.addMetric(name, MetricUnit.Count, 1);
  };
  const dispatcher = new Dispatcher(withJobObservers(runtime));
  const processor = new BatchProcessor(EventType.SQS);

  const recordHandler = async (record: SQSRecord): Promise<void> => {
    const message = DispatchMessage.parse(JSON.parse(record.body));
    try {
      const outcome = await dispatcher.dispatch(message);
      logger.debug('dispatched', { ...message, outcome });
    } catch (err) {
      if (err instanceof RetryLaterError) {
        logger.warn('cannot start the task now; will retry', {
          ...message,
          reason: err.reason,
          message: err.message,
        });
        count(METRICS.dispatchRetried, { reason: err.reason });
      } else {
        logger.error('dispatch failed', { ...message, error: err as Error });
        count(METRICS.dispatchFailed, {});
      }
      throw err;
    }
  };

  return async (event: SQSEvent): Promise<SQSBatchResponse> =>
    processPartialResponse(event, recordHandler, processor, { throwOnFullBatchFailure: false });
}
