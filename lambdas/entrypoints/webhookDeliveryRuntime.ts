import { SQSClient } from '@aws-sdk/client-sqs';
import { HttpWebhookSender } from '../adapters/http/HttpWebhookSender.ts';
import { SqsDeliveryQueue } from '../adapters/sqs/SqsDeliveryQueue.ts';
import { DynamoWorkerStore } from '../adapters/dynamodb/DynamoWorkerStore.ts';
import { systemClock } from '../core/ports.ts';
import type { WebhookDeliveryRuntime } from '../handlers/webhookDelivery.ts';
import { documentClient, jobStore } from './runtimeParts.ts';
import { envOf, region, untraced, type RuntimeOptions } from './runtimeEnv.ts';

/**
 * The delivery function: fed by the delivery queue, it alone sends webhooks. On AWS only https,
 * and no private, loopback or link-local target unless the stack allows it (WEBHOOK_ALLOW_PRIVATE).
 */
export function webhookDeliveryRuntime(
  source: NodeJS.ProcessEnv = process.env,
  { traceClient: t = untraced }: RuntimeOptions = {},
): WebhookDeliveryRuntime {
  const get = envOf('webhookDelivery', source);
  const doc = documentClient(source, t);
  return {
    jobs: jobStore(get, doc),
    workers: new DynamoWorkerStore(doc, get('WORKERS_TABLE')),
    deliveryQueue: new SqsDeliveryQueue(t(new SQSClient(region(source))), get('DELIVERY_QUEUE_URL')),
    webhookSender: new HttpWebhookSender({
      allowHttp: false,
      allowPrivateAddresses: get('WEBHOOK_ALLOW_PRIVATE') === 'true',
    }),
    clock: systemClock,
  };
}
