import { ConflictException, CreateScheduleCommand, type SchedulerClient } from '@aws-sdk/client-scheduler';
import type { DispatchMessage, DispatchQueue } from '../../core/ports.ts';

/** SQS delays a message at most 15 minutes. */
export const SQS_MAX_DELAY_SECONDS = 900;

export interface SchedulerDelayedQueueConfig {
  groupName: string;
  /** The dispatch queue's ARN: the one-time schedule sends the message there when it is due. */
  queueArn: string;
  /** The role EventBridge Scheduler assumes to send to the queue. */
  roleArn: string;
}

/**
 * Delays past SQS's 15 minutes go through a one-time EventBridge Scheduler schedule (`at(...)`)
 * that puts the message on the dispatch queue when it is due and then deletes itself. Shorter
 * delays go straight to SQS. The schedule is named after the job and attempt, so sending twice
 * makes one schedule.
 */
export class SchedulerDelayedQueue implements DispatchQueue {
  constructor(
    private readonly queue: DispatchQueue,
    private readonly client: SchedulerClient,
    private readonly config: SchedulerDelayedQueueConfig,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async send(message: DispatchMessage, delaySeconds: number): Promise<void> {
    if (delaySeconds <= SQS_MAX_DELAY_SECONDS) return this.queue.send(message, delaySeconds);
    const due = new Date(this.now().getTime() + delaySeconds * 1000);
    try {
      await this.client.send(
        new CreateScheduleCommand({
          Name: `dispatch-${message.jobId}-${message.attempt}`,
          GroupName: this.config.groupName,
          ScheduleExpression: `at(${due.toISOString().slice(0, 19)})`,
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'DELETE',
          Target: {
            Arn: this.config.queueArn,
            RoleArn: this.config.roleArn,
            Input: JSON.stringify(message),
            RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
          },
        }),
      );
    } catch (err) {
      if (err instanceof ConflictException || (err as Error).name === 'ConflictException') return;
      throw err;
    }
  }
}
