import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DeliveryMessage, DeliveryQueue } from '../../core/ports.ts';
import { SQS_MAX_DELAY } from './SqsDispatchQueue.ts';

/** The queue that feeds the webhook delivery function; longer waits hop (WebhookDeliverer). */
export class SqsDeliveryQueue implements DeliveryQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(message: DeliveryMessage, delaySeconds: number): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(message),
        DelaySeconds: Math.max(0, Math.min(SQS_MAX_DELAY, Math.ceil(delaySeconds))),
      }),
    );
  }
}
