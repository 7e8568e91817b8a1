import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DispatchMessage, DispatchQueue } from '../../core/ports.ts';

/** SQS delays a message at most 15 minutes; longer waits are the dispatcher's (or the scheduler's). */
export const SQS_MAX_DELAY = 900;

export class SqsDispatchQueue implements DispatchQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(message: DispatchMessage, delaySeconds: number): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(message),
        DelaySeconds: Math.max(0, Math.min(SQS_MAX_DELAY, Math.ceil(delaySeconds))),
      }),
    );
  }
}
