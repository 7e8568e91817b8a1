import { makeWebhookDeliveryHandler } from '../handlers/webhookDelivery.ts';
import { instrumented, observability } from './observability.ts';
import { webhookDeliveryRuntime } from './webhookDeliveryRuntime.ts';

const o = observability('runlater-webhooks');
export const handler = instrumented(
  o,
  makeWebhookDeliveryHandler(webhookDeliveryRuntime(process.env, { traceClient: o.traceClient }), o.logger),
);
