import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import type { DeliveryQueue, WebhookSender } from '../core/ports.ts';
import { WebhookDeliverer } from '../core/WebhookDeliverer.ts';
import type { Runtime } from './runtime.ts';

const DeliveryMessage = z.object({ jobId: z.string(), deliveryId: z.string() });

/**
 * Consumes the delivery queue: one webhook attempt per record. A record that fails (the job table
 * did not answer) is reported back, so the queue redelivers it; a receiver's failure is not a
 * record failure: it is recorded and its retry queued with its backoff.
 */
/** What the delivery function uses: lambdas/entrypoints/webhookDeliveryRuntime.ts builds exactly this on AWS. */
export type WebhookDeliveryRuntime = Pick<Runtime, 'jobs' | 'workers' | 'clock'> & {
  deliveryQueue: DeliveryQueue;
  webhookSender: WebhookSender;
};

export function makeWebhookDeliveryHandler(
  runtime: WebhookDeliveryRuntime,
  logger = new Logger({ serviceName: 'runlater-webhooks' }),
) {
  const deliverer = new WebhookDeliverer({
    ...runtime,
    queue: runtime.deliveryQueue,
    sender: runtime.webhookSender,
  });
  const processor = new BatchProcessor(EventType.SQS);
  const recordHandler = async (record: SQSRecord): Promise<void> => {
    const message = DeliveryMessage.parse(JSON.parse(record.body));
    const outcome = await deliverer.deliver(message);
    logger.debug('webhook delivery', { ...message, outcome });
  };
  return async (event: SQSEvent): Promise<SQSBatchResponse> =>
    processPartialResponse(event, recordHandler, processor, { throwOnFullBatchFailure: false });
}
