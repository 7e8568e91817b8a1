import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  UpdateScheduleCommand,
  type CreateScheduleCommandInput,
  type SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { ValidationError } from '../../core/errors.ts';
import type { ScheduleTrigger } from '../../core/ports.ts';
import type { Schedule } from '../../core/schemas.ts';

export interface EventBridgeScheduleTriggerConfig {
  /** The schedule group runlater keeps its schedules in. */
  groupName: string;
  /** The schedule-fire Lambda each schedule invokes. */
  targetArn: string;
  /** The role EventBridge Scheduler assumes to invoke it. */
  roleArn: string;
}

/** The schedule's name in EventBridge Scheduler (64 characters at most; ours are 63 at most). */
export function schedulerNameFor(name: string): string {
  return name;
}

/**
 * Recurring schedules as EventBridge Scheduler schedules: it evaluates cron and rate expressions
 * in the time zone and invokes the schedule-fire Lambda with the scheduled time, which keys the
 * job's idempotency so a retried invocation queues no second job.
 */
export class EventBridgeScheduleTrigger implements ScheduleTrigger {
  constructor(
    private readonly client: SchedulerClient,
    private readonly config: EventBridgeScheduleTriggerConfig,
  ) {}

  async apply(schedule: Schedule): Promise<void> {
    const input: CreateScheduleCommandInput = {
      Name: schedulerNameFor(schedule.name),
      GroupName: this.config.groupName,
      ScheduleExpression: schedule.expression,
      ScheduleExpressionTimezone: schedule.timezone,
      State: schedule.state === 'paused' ? 'DISABLED' : 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Description: `runlater schedule ${schedule.name} → worker ${schedule.worker}`,
      Target: {
        Arn: this.config.targetArn,
        RoleArn: this.config.roleArn,
        Input: JSON.stringify({ schedule: schedule.name, scheduledTime: '<aws.scheduler.scheduled-time>' }),
        RetryPolicy: { MaximumRetryAttempts: 20, MaximumEventAgeInSeconds: 3600 },
      },
    };
    try {
      try {
        await this.client.send(new CreateScheduleCommand(input));
      } catch (err) {
        if (!(err instanceof ConflictException) && (err as Error).name !== 'ConflictException') throw err;
        await this.client.send(new UpdateScheduleCommand(input));
      }
    } catch (err) {
      // What the Scheduler refuses here is what the user wrote (an expression or time zone it does
      // not take): a 400 with its words, never a 500.
      if ((err as Error).name === 'ValidationException')
        throw new ValidationError(
          `EventBridge Scheduler refused the schedule: ${(err as Error).message}`,
          'expression',
          {
            cause: err,
          },
        );
      throw err;
    }
  }

  async remove(name: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteScheduleCommand({ Name: schedulerNameFor(name), GroupName: this.config.groupName }),
      );
    } catch (err) {
      if (!(err instanceof ResourceNotFoundException) && (err as Error).name !== 'ResourceNotFoundException')
        throw err;
    }
  }
}
