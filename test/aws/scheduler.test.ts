import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { EventBridgeScheduleTrigger } from '../../lambdas/adapters/scheduler/EventBridgeScheduleTrigger.ts';
import { SchedulerDelayedQueue } from '../../lambdas/adapters/scheduler/SchedulerDelayedQueue.ts';
import type { DispatchMessage, DispatchQueue } from '../../lambdas/core/ports.ts';
import type { Schedule } from '../../lambdas/core/schemas.ts';

const scheduler = mockClient(SchedulerClient);
const config = { groupName: 'runlater', roleArn: 'arn:aws:iam::111111111111:role/scheduler' };

describe('EventBridge Scheduler: delays past 15 minutes', () => {
  const sqs: { message: DispatchMessage; delaySeconds: number }[] = [];
  const inner: DispatchQueue = {
    send: async (message, delaySeconds) => void sqs.push({ message, delaySeconds }),
  };
  const queue = new SchedulerDelayedQueue(
    inner,
    new SchedulerClient({ region: 'eu-west-1' }),
    { ...config, queueArn: 'arn:aws:sqs:eu-west-1:111111111111:dispatch' },
    () => new Date('2026-11-22T12:00:00.000Z'),
  );
  beforeEach(() => {
    scheduler.reset();
    sqs.length = 0;
  });

  it('sends delays up to 900 s straight to SQS', async () => {
    await queue.send({ jobId: 'j', attempt: 1 }, 900);
    assert.deepEqual(sqs, [{ message: { jobId: 'j', attempt: 1 }, delaySeconds: 900 }]);
    assert.equal(scheduler.calls().length, 0);
  });

  it('makes a one-time schedule that puts the message on the queue when due, then deletes itself', async () => {
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn' });
    await queue.send({ jobId: '01jxyz', attempt: 2 }, 3 * 86400);
    assert.deepEqual(sqs, []);
    assert.deepEqual(scheduler.commandCalls(CreateScheduleCommand)[0]!.args[0].input, {
      Name: 'dispatch-01jxyz-2',
      GroupName: 'runlater',
      ScheduleExpression: 'at(2026-11-25T12:00:00)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: {
        Arn: 'arn:aws:sqs:eu-west-1:111111111111:dispatch',
        RoleArn: config.roleArn,
        Input: '{"jobId":"01jxyz","attempt":2}',
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
      },
    });
  });

  it('treats a schedule that exists already as sent (a duplicate send)', async () => {
    scheduler
      .on(CreateScheduleCommand)
      .rejects(new ConflictException({ Message: 'exists', message: 'exists', $metadata: {} }));
    await queue.send({ jobId: 'j', attempt: 1 }, 3600);
  });
});

describe('EventBridge Scheduler: recurring schedules', () => {
  const trigger = new EventBridgeScheduleTrigger(new SchedulerClient({ region: 'eu-west-1' }), {
    ...config,
    targetArn: 'arn:aws:lambda:eu-west-1:111111111111:function:schedule-fire',
  });
  const schedule: Schedule = {
    name: 'nightly',
    worker: 'report',
    expression: 'cron(0 2 * * ? *)',
    timezone: 'Europe/Berlin',
    job: {},
    state: 'enabled',
    createdAt: '2026-11-22T12:00:00.000Z',
    updatedAt: '2026-11-22T12:00:00.000Z',
    nextRunAt: null,
    lastRunAt: null,
    lastJobId: null,
  };
  const expected = {
    Name: 'nightly',
    GroupName: 'runlater',
    ScheduleExpression: 'cron(0 2 * * ? *)',
    ScheduleExpressionTimezone: 'Europe/Berlin',
    State: 'ENABLED',
    FlexibleTimeWindow: { Mode: 'OFF' },
    Description: 'runlater schedule nightly → worker report',
    Target: {
      Arn: 'arn:aws:lambda:eu-west-1:111111111111:function:schedule-fire',
      RoleArn: config.roleArn,
      Input: '{"schedule":"nightly","scheduledTime":"<aws.scheduler.scheduled-time>"}',
      RetryPolicy: { MaximumRetryAttempts: 20, MaximumEventAgeInSeconds: 3600 },
    },
  };
  beforeEach(() => scheduler.reset());

  it('creates the schedule with its expression, time zone and the fire target', async () => {
    scheduler.on(CreateScheduleCommand).resolves({});
    await trigger.apply(schedule);
    assert.deepEqual(scheduler.commandCalls(CreateScheduleCommand)[0]!.args[0].input, expected);
  });

  it('updates it when it exists, disabled while paused', async () => {
    scheduler
      .on(CreateScheduleCommand)
      .rejects(new ConflictException({ Message: 'exists', message: 'exists', $metadata: {} }));
    scheduler.on(UpdateScheduleCommand).resolves({});
    await trigger.apply({ ...schedule, state: 'paused' });
    assert.deepEqual(scheduler.commandCalls(UpdateScheduleCommand)[0]!.args[0].input, {
      ...expected,
      State: 'DISABLED',
    });
  });

  it('deletes it, and a schedule already gone is fine', async () => {
    scheduler
      .on(DeleteScheduleCommand)
      .rejects(new ResourceNotFoundException({ Message: 'gone', message: 'gone', $metadata: {} }));
    await trigger.remove('nightly');
    assert.deepEqual(scheduler.commandCalls(DeleteScheduleCommand)[0]!.args[0].input, {
      Name: 'nightly',
      GroupName: 'runlater',
    });
  });
});
