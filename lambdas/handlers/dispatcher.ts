import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { Dispatcher } from '../core/Dispatcher.ts';
import { RetryLaterError } from '../core/errors.ts';
import { withJobMetrics } from './jobMetrics.ts';
import type { Runtime } from './runtime.ts';

/** What the dispatcher uses: lambdas/entrypoints/runtimes.ts builds exactly this on AWS. */
export type DispatcherRuntime = Pick<
  Runtime,
  'jobs' | 'workers' | 'launcher' | 'queue' | 'clock' | 'observer'
>;

const DispatchMessage = z.object({ jobId: z.string(), attempt: z.number().int().min(1) });

/**
 * Consumes the dispatch queue. A record that fails (e.g. RunTask throttled) is reported back as a
 * batch item failure, so the queue redelivers it later and the rest of the batch is not retried.
 */
export function makeDispatcherHandler(
  runtime: DispatcherRuntime,
  logger = new Logger({ serviceName: 'runlater-dispatcher' }),
) {
  const dispatcher = new Dispatcher(withJobMetrics(runtime));
  const processor = new BatchProcessor(EventType.SQS);

  const recordHandler = async (record: SQSRecord): Promise<void> => {
    const message = DispatchMessage.parse(JSON.parse(record.body));
    try {
      const outcome = await dispatcher.dispatch(message);
      logger.debug('dispatched', { ...message, outcome });
    } catch (err) {
      if (err instanceof RetryLaterError)
        logger.warn('cannot start the task now; will retry', {
          ...message,
          reason: err.reason,
          message: err.message,
        });
      else logger.error('dispatch failed', { ...message, error: err as Error });
      throw err;
    }
  };

  return async (event: SQSEvent): Promise<SQSBatchResponse> =>
    processPartialResponse(event, recordHandler, processor, { throwOnFullBatchFailure: false });
}
