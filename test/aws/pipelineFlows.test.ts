import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  type RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { startedByFor } from '../../lambdas/core/taskSpec.ts';
import { hashToken } from '../../lambdas/core/tokens.ts';
import { apiRuntime, dispatcherRuntime, taskStatusRuntime } from '../../lambdas/entrypoints/runtimes.ts';
import { makeApiHandler } from '../../lambdas/handlers/api.ts';
import { makeDispatcherHandler } from '../../lambdas/handlers/dispatcher.ts';
import { makeTaskStatusHandler } from '../../lambdas/handlers/taskStatus.ts';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../local/embeddedDynamo.ts';
import { taskStateChangeEvent } from '../support/ecsEvents.ts';
import { apiCaller, DISPATCH_QUEUE, handWiredEnv } from './support/handWired.ts';

const ecs = mockClient(ECSClient);
const sqs = mockClient(SQSClient);
const cwl = mockClient(CloudWatchLogsClient);
mockClient(SchedulerClient);
mockClient(EventBridgeClient)
  .on(PutEventsCommand)
  .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
const TOKEN = 'rl_pipes';
const taskArn = (id: string) => `arn:aws:ecs:eu-west-1:123456789012:task/runlater/${id}`;

/** after/stdinFrom as AWS runs them: dynalite for DynamoDB, ECS, SQS and CloudWatch Logs mocked. */
describe('AWS flows: jobs that wait for jobs and take their stdout', () => {
  let dynamo: EmbeddedDynamo;
  let call: ReturnType<typeof apiCaller>;
  let dispatcher: ReturnType<typeof makeDispatcherHandler>;
  let taskStatus: ReturnType<typeof makeTaskStatusHandler>;

  before(async () => {
    dynamo = await startEmbeddedDynamo(undefined);
    const source = handWiredEnv(dynamo);
    const runtime = apiRuntime(source);
    await runtime.tokens.put({
      hash: hashToken(TOKEN),
      name: 't',
      scopes: ['admin'],
      createdAt: new Date().toISOString(),
    });
    call = apiCaller(makeApiHandler(runtime), TOKEN);
    dispatcher = makeDispatcherHandler(dispatcherRuntime(source));
    taskStatus = makeTaskStatusHandler(taskStatusRuntime(source));
    // ECS as it stands: what was registered is what DescribeTaskDefinition answers (the dispatcher checks).
    const registered = new Map<string, object>();
    ecs.on(RegisterTaskDefinitionCommand).callsFake(async (input: RegisterTaskDefinitionCommandInput) => {
      const taskDefinitionArn = `arn:aws:ecs:eu-west-1:123456789012:task-definition/${input.family}:1`;
      registered.set(input.family!, { taskDefinition: { ...input, taskDefinitionArn }, tags: input.tags });
      return { taskDefinition: { taskDefinitionArn } };
    });
    ecs.on(ListTaskDefinitionsCommand).resolves({ taskDefinitionArns: [] });
    ecs
      .on(DescribeTaskDefinitionCommand)
      .callsFake(async (input: { taskDefinition: string }) => registered.get(input.taskDefinition));
    sqs.on(SendMessageCommand).resolves({});
    ecs
      .on(RunTaskCommand)
      .callsFake((input) => ({ tasks: [{ taskArn: taskArn(input.startedBy.split('_')[0]) }] }));
    await call('POST', '/v1/workers', { name: 'w', image: 'busybox:1.36', command: ['cat'] });
  });
  after(() => dynamo.close());

  const dispatch = (jobId: string) =>
    dispatcher({
      Records: [{ messageId: 'm', body: JSON.stringify({ jobId, attempt: 1 }) }],
    } as unknown as SQSEvent);
  const stop = (jobId: string, exitCode: number) =>
    taskStatus(
      taskStateChangeEvent({
        taskId: taskArn(jobId),
        startedBy: startedByFor(jobId, 1),
        lastStatus: 'STOPPED',
        startedAt: '2026-11-22T12:00:00.000Z',
        stoppedAt: '2026-11-22T12:00:05.000Z',
        exitCode,
        stopCode: 'EssentialContainerExited',
      }),
    );
  const wokenFor = (jobId: string) =>
    sqs
      .commandCalls(SendMessageCommand)
      .filter(
        (c) =>
          c.args[0].input.QueueUrl === DISPATCH_QUEUE &&
          JSON.parse(c.args[0].input.MessageBody!).jobId === jobId,
      );

  it('waits, is woken by its dependency, and runs with its stdout (as CloudWatch Logs holds it) as stdin', async () => {
    const first = (await call('POST', '/v1/jobs', { worker: 'w', stdin: 'x' })).body;
    const second = (await call('POST', '/v1/jobs', { worker: 'w', stdinFrom: first.id })).body;
    assert.equal(second.status, 'queued');
    // Its message comes before the first ended: it starts nothing.
    await dispatch(second.id);
    assert.equal(ecs.commandCalls(RunTaskCommand).length, 0);

    await dispatch(first.id);
    // As CloudWatch Logs answers: the events, then (asked from the end token) none and the same token.
    cwl.on(GetLogEventsCommand).callsFake((input) =>
      input.nextToken === 'f/end'
        ? { events: [], nextForwardToken: 'f/end' }
        : {
            events: [
              { timestamp: 1, message: 'o line one' },
              { timestamp: 2, message: 'e a warning' },
              { timestamp: 3, message: 'o line two' },
            ],
            nextForwardToken: 'f/end',
          },
    );
    const before = wokenFor(second.id).length;
    await stop(first.id, 0);
    assert.equal(wokenFor(second.id).length, before + 1, 'the end of the first sends the second again');
    assert.deepEqual(
      cwl.commandCalls(GetLogEventsCommand).length,
      0,
      'nothing read until the second is dispatched',
    );

    await dispatch(second.id);
    const run = ecs
      .commandCalls(RunTaskCommand)
      .find((c) => c.args[0].input.startedBy === startedByFor(second.id, 1));
    assert.ok(run, 'the second ran');
    assert.deepEqual(cwl.commandCalls(GetLogEventsCommand)[0]!.args[0].input, {
      logGroupName: 'jobs',
      logStreamName: `runlater/job/${first.id}`,
      startFromHead: true,
      limit: 10_000,
    });
    const job = (await call('GET', `/v1/jobs/${second.id}`)).body;
    assert.equal(job.stdinBytes, 'line one\nline two\n'.length);
  });

  it('ends cancelled, naming the dependency, when it failed', async () => {
    const first = (await call('POST', '/v1/jobs', { worker: 'w' })).body;
    const second = (await call('POST', '/v1/jobs', { worker: 'w', after: [first.id] })).body;
    await dispatch(first.id);
    await stop(first.id, 2);
    await dispatch(second.id);
    const job = (await call('GET', `/v1/jobs/${second.id}`)).body;
    assert.equal(job.status, 'cancelled');
    assert.equal(job.error, `dependency ${first.id} ended failed: this job did not run`);
    assert.ok(
      !ecs.commandCalls(RunTaskCommand).some((c) => c.args[0].input.startedBy === startedByFor(second.id, 1)),
    );
  });
});
