import type { SQSEvent } from 'aws-lambda';
import { HttpWebhookSender } from '../adapters/http/HttpWebhookSender.ts';
import { makeWebhookDeliveryHandler } from '../handlers/webhookDelivery.ts';
import { awsRuntime } from './awsRuntime.ts';

/**
 * The delivery function: fed by the delivery queue, it alone sends webhooks. On AWS only https,
 * and no private, loopback or link-local target unless the stack allows it (WEBHOOK_ALLOW_PRIVATE).
 */
export function webhookDeliveryHandler(env: NodeJS.ProcessEnv = process.env) {
  const runtime = awsRuntime(env);
  if (!runtime.deliveryQueue) throw new Error('runlater: environment variable DELIVERY_QUEUE_URL is not set');
  return makeWebhookDeliveryHandler({
    ...runtime,
    deliveryQueue: runtime.deliveryQueue,
    webhookSender: new HttpWebhookSender({
      allowHttp: false,
      allowPrivateAddresses: env.WEBHOOK_ALLOW_PRIVATE === 'true',
    }),
  });
}

let built: ReturnType<typeof webhookDeliveryHandler> | undefined;
/** Built on the first event, so importing this module (tests do) reads no environment. */
export const handler = (event: SQSEvent) => (built ??= webhookDeliveryHandler())(event);
