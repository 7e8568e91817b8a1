import { CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { SchedulerDelayedQueue } from '../../lambdas/adapters/scheduler/SchedulerDelayedQueue.ts';
import { SqsDispatchQueue } from '../../lambdas/adapters/sqs/SqsDispatchQueue.ts';
import type { DispatchMessage } from '../../lambdas/core/ports.ts';
import { ensureTable, startEmbeddedDynamo } from '../../local/embeddedDynamo.ts';
import { LocalQueue } from '../../local/LocalQueue.ts';
import { waitFor } from '../support/waitFor.ts';
import { dispatchQueueConformance } from './suites/dispatchQueueSuite.ts';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

dispatchQueueConformance('LocalQueue on dynalite', async () => {
  const dynamo = await startEmbeddedDynamo(undefined);
  const tableName = 'conformance-queue';
  await ensureTable(dynamo.client, tableName, { partitionKey: 'id', indexes: [] });
  const got: DispatchMessage[] = [];
  // What the queue stores of each message it is sent (its sending and visible times), seen as it
  // is written: delivered messages are deleted, so the table alone would not keep them.
  const stored: Record<string, unknown>[] = [];
  const doc = {
    send: (command: unknown) => {
      if (command instanceof PutCommand) stored.push(command.input.Item!);
      return dynamo.doc.send(command as PutCommand);
    },
  } as unknown as DynamoDBDocumentClient;
  const queue = new LocalQueue({
    doc,
    tableName,
    consumer: async (event: SQSEvent) => {
      for (const r of event.Records) got.push(JSON.parse(r.body) as DispatchMessage);
    },
  });
  await queue.start();
  return {
    queue,
    maxDelaySeconds: Infinity,
    delivered: (count) =>
      waitFor(() => (got.length >= count ? got.splice(0, got.length) : undefined), {
        timeoutMs: 10_000,
        message: `${count} deliveries`,
      }),
    holds: async () =>
      stored.map((m) => ({
        message: JSON.parse(m.body as string) as DispatchMessage,
        seconds: ((m.visibleAt as number) - (m.sentAt as number)) / 1000,
      })),
    close: async () => {
      await queue.stop();
      await dynamo.close();
    },
  };
});

/** SQS as the mocked SendMessage calls show it: a message is delivered once its DelaySeconds pass. */
function sqsSubject(client: SQSClient, sqs: ReturnType<typeof mockClient>) {
  const sends = () =>
    sqs.commandCalls(SendMessageCommand).map((c) => ({
      message: JSON.parse(c.args[0].input.MessageBody!) as DispatchMessage,
      seconds: c.args[0].input.DelaySeconds ?? 0,
    }));
  let taken = 0;
  return {
    sends,
    delivered: async (count: number) => {
      const now = sends().filter((s) => s.seconds === 0);
      const fresh = now.slice(taken);
      taken = now.length;
      if (fresh.length < count) throw new Error(`${fresh.length} of ${count} messages were sent to SQS`);
      return fresh.map((s) => s.message);
    },
    client,
  };
}

dispatchQueueConformance('SqsDispatchQueue (SQS mocked)', async () => {
  const sqs = mockClient(SQSClient);
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm' });
  const client = new SQSClient({ region: 'eu-west-1', credentials });
  const subject = sqsSubject(client, sqs);
  return {
    queue: new SqsDispatchQueue(client, 'https://sqs.eu-west-1.amazonaws.com/123456789012/dispatch'),
    maxDelaySeconds: 900,
    delivered: subject.delivered,
    holds: async () => subject.sends(),
    close: async () => sqs.restore(),
  };
});

dispatchQueueConformance('SchedulerDelayedQueue over SQS (both mocked)', async () => {
  const sqs = mockClient(SQSClient);
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm' });
  const scheduler = mockClient(SchedulerClient);
  scheduler.on(CreateScheduleCommand).resolves({});
  const client = new SQSClient({ region: 'eu-west-1', credentials });
  const subject = sqsSubject(client, sqs);
  const sentAt = new Map<string, number>();
  const now = () => new Date();
  const queue = new SchedulerDelayedQueue(
    new SqsDispatchQueue(client, 'https://sqs.eu-west-1.amazonaws.com/123456789012/dispatch'),
    new SchedulerClient({ region: 'eu-west-1', credentials }),
    { groupName: 'runlater', queueArn: 'arn:aws:sqs:eu-west-1:123456789012:dispatch', roleArn: 'arn:role' },
    now,
  );
  return {
    queue: {
      send: async (message: DispatchMessage, delaySeconds: number) => {
        sentAt.set(`${message.jobId}#${message.attempt}`, Date.now());
        await queue.send(message, delaySeconds);
      },
    },
    maxDelaySeconds: Infinity,
    delivered: subject.delivered,
    holds: async () => {
      // A one-time schedule puts the message on the queue at its at() time.
      const scheduled = scheduler.commandCalls(CreateScheduleCommand).map((c) => {
        const input = c.args[0].input;
        const message = JSON.parse(input.Target!.Input!) as DispatchMessage;
        const at = Date.parse(`${/^at\((.*)\)$/.exec(input.ScheduleExpression!)![1]}Z`);
        return { message, seconds: (at - sentAt.get(`${message.jobId}#${message.attempt}`)!) / 1000 };
      });
      return [...subject.sends(), ...scheduled];
    },
    close: async () => {
      sqs.restore();
      scheduler.restore();
    },
  };
});
