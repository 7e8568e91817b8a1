import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  DescribeTasksCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
} from '@aws-sdk/client-ecs';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { taskStateChangeEvent } from '../support/ecsEvents.ts';
import { hashToken } from '../../lambdas/core/tokens.ts';
import { awsRuntime } from '../../lambdas/entrypoints/awsRuntime.ts';
import { makeApiHandler } from '../../lambdas/handlers/api.ts';
import { makeDispatcherHandler } from '../../lambdas/handlers/dispatcher.ts';
import type { ApiEvent } from '../../lambdas/handlers/http/types.ts';
import { makeReconcilerHandler } from '../../lambdas/handlers/reconciler.ts';
import type { Runtime } from '../../lambdas/handlers/runtime.ts';
import { makeTaskStatusHandler } from '../../lambdas/handlers/taskStatus.ts';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../local/embeddedDynamo.ts';

const ecs = mockClient(ECSClient);
const s3 = mockClient(S3Client);
const sqs = mockClient(SQSClient);
mockClient(SchedulerClient);
const CLUSTER = 'arn:aws:ecs:eu-west-1:123456789012:cluster/runlater';
const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/dispatch';
const TOKEN = 'rl_test';
const ctx = {} as Context;

/**
 * The handlers as AWS runs them: wired by the real entry-point code from the environment the stack
 * sets, DynamoDB served by dynalite, every other AWS call mocked and asserted.
 */
describe('AWS flows, handler to AWS call', () => {
  let dynamo: EmbeddedDynamo;
  let runtime: Runtime;
  let api: ReturnType<typeof makeApiHandler>;
  let dispatcher: ReturnType<typeof makeDispatcherHandler>;
  let taskStatus: ReturnType<typeof makeTaskStatusHandler>;
  let reconcile: ReturnType<typeof makeReconcilerHandler>;

  before(async () => {
    dynamo = await startEmbeddedDynamo(undefined);
    const env = {
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      WORKERS_TABLE: dynamo.tableNames.workers,
      JOBS_TABLE: dynamo.tableNames.jobs,
      TOKENS_TABLE: dynamo.tableNames.tokens,
      SCHEDULES_TABLE: dynamo.tableNames.schedules,
      DISPATCH_QUEUE_URL: QUEUE,
      DISPATCH_QUEUE_ARN: 'arn:aws:sqs:eu-west-1:123456789012:dispatch',
      STDIN_BUCKET: 'stdin-bucket',
      CLUSTER_ARN: CLUSTER,
      SUBNETS: 'subnet-a',
      SECURITY_GROUPS: 'sg-1',
      ASSIGN_PUBLIC_IP: 'true',
      EXECUTION_ROLE_ARN: 'arn:aws:iam::123456789012:role/exec',
      SHIM_IMAGE: 'shim:latest',
      JOB_LOG_GROUP: 'jobs',
      SCHEDULER_GROUP: 'runlater',
      SCHEDULER_ROLE_ARN: 'arn:aws:iam::123456789012:role/scheduler',
      SCHEDULE_FIRE_ARN: 'arn:aws:lambda:eu-west-1:123456789012:function:fire',
      JOB_RETENTION_DAYS: '30',
    };
    Object.assign(process.env, env);
    runtime = awsRuntime({ ...process.env, ...env });
    await runtime.tokens.put({
      hash: hashToken(TOKEN),
      name: 'test',
      scopes: ['admin'],
      createdAt: new Date().toISOString(),
    });
    api = makeApiHandler(runtime);
    dispatcher = makeDispatcherHandler(runtime);
    taskStatus = makeTaskStatusHandler(runtime);
    reconcile = makeReconcilerHandler(runtime);
    ecs.on(RegisterTaskDefinitionCommand).resolves({});
    await call('POST', '/v1/workers', { name: 'w', image: 'busybox:1.36', command: ['cat'] });
  });
  after(() => dynamo.close());
  beforeEach(() => {
    ecs.reset();
    s3.reset();
    sqs.reset();
  });

  async function call(method: string, path: string, body?: unknown) {
    const event = {
      version: '2.0',
      routeKey: '$default',
      rawPath: path,
      rawQueryString: '',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      requestContext: { http: { method, path }, requestId: 'r' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      isBase64Encoded: false,
    } as unknown as ApiEvent;
    const res = await api(event, ctx);
    return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined };
  }

  async function queuedJob(body: Record<string, unknown> = {}) {
    sqs.on(SendMessageCommand).resolves({});
    s3.on(PutObjectCommand).resolves({});
    const res = await call('POST', '/v1/jobs', { worker: 'w', ...body });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const sent = sqs.commandCalls(SendMessageCommand).at(-1)!.args[0].input;
    assert.deepEqual(sent, {
      QueueUrl: QUEUE,
      MessageBody: JSON.stringify({ jobId: res.body.id, attempt: 1 }),
      DelaySeconds: 0,
    });
    return res.body.id as string;
  }

  const sqsEvent = (jobId: string, messageId = 'm1'): SQSEvent => ({
    Records: [
      {
        messageId,
        receiptHandle: 'r',
        body: JSON.stringify({ jobId, attempt: 1 }),
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: '0',
          SenderId: 's',
          ApproximateFirstReceiveTimestamp: '0',
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn',
        awsRegion: 'eu-west-1',
      },
    ],
  });

  const taskEvent = (jobId: string, lastStatus: 'RUNNING' | 'STOPPED', extra: Record<string, unknown> = {}) =>
    taskStateChangeEvent({
      taskId: `arn:aws:ecs:eu-west-1:123456789012:task/runlater/${jobId}`,
      startedBy: `${jobId}.1`,
      lastStatus,
      startedAt: '2026-11-22T12:00:00.000Z',
      ...(lastStatus === 'STOPPED' ? { stoppedAt: '2026-11-22T12:00:05.000Z' } : {}),
      ...extra,
    });

  it('a 2 MiB stdin goes to S3, and the task gets it through a presigned URL', async () => {
    const bytes = Buffer.alloc(2 * 1024 * 1024, 9);
    const id = await queuedJob({ stdinBase64: bytes.toString('base64') });
    const put = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    assert.equal(put.Bucket, 'stdin-bucket');
    assert.equal(put.Key, `stdin/${id}`);
    assert.ok(Buffer.from(put.Body as Uint8Array).equals(bytes));
    ecs
      .on(RunTaskCommand)
      .resolves({ tasks: [{ taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/runlater/${id}` }] });
    assert.deepEqual(await dispatcher(sqsEvent(id)), { batchItemFailures: [] });
    const init = ecs.commandCalls(RunTaskCommand)[0]!.args[0].input.overrides!.containerOverrides![0]!;
    assert.match(
      init.environment![0]!.value!,
      new RegExp(`^https://stdin-bucket\\.s3\\.eu-west-1\\.amazonaws\\.com/stdin/${id}\\?`),
    );
  });

  it('a duplicate SQS delivery starts no second task', async () => {
    const id = await queuedJob({ stdin: 'hi' });
    ecs
      .on(RunTaskCommand)
      .resolves({ tasks: [{ taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/runlater/${id}` }] });
    assert.deepEqual(await dispatcher(sqsEvent(id, 'm1')), { batchItemFailures: [] });
    assert.deepEqual(await dispatcher(sqsEvent(id, 'm2')), { batchItemFailures: [] });
    assert.equal(ecs.commandCalls(RunTaskCommand).length, 1);
    assert.equal((await call('GET', `/v1/jobs/${id}`)).body.status, 'starting');
  });

  for (const [what, answer] of [
    [
      'a throttled RunTask',
      () =>
        ecs
          .on(RunTaskCommand)
          .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' })),
    ],
    [
      'a capacity failure',
      () => ecs.on(RunTaskCommand).resolves({ failures: [{ reason: 'RESOURCE:FARGATE' }] }),
    ],
  ] as const) {
    it(`${what} reports the message back for redelivery and leaves the job waiting, not failed`, async () => {
      const id = await queuedJob();
      answer();
      assert.deepEqual(await dispatcher(sqsEvent(id, 'm9')), {
        batchItemFailures: [{ itemIdentifier: 'm9' }],
      });
      const job = (await call('GET', `/v1/jobs/${id}`)).body;
      assert.equal(job.status, 'starting');
      assert.equal(job.error, null);
      // Redelivered once capacity is back: the same clientToken.
      ecs.reset();
      ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: 'arn:task/after' }] });
      assert.deepEqual(await dispatcher(sqsEvent(id, 'm9')), { batchItemFailures: [] });
      assert.equal(ecs.commandCalls(RunTaskCommand)[0]!.args[0].input.clientToken, `${id}-1`);
    });
  }

  it('duplicate and out-of-order task events change nothing', async () => {
    const id = await queuedJob();
    ecs
      .on(RunTaskCommand)
      .resolves({ tasks: [{ taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/runlater/${id}` }] });
    await dispatcher(sqsEvent(id));
    const stopped = taskEvent(id, 'STOPPED', { exitCode: 0, stopCode: 'EssentialContainerExited' });
    await taskStatus(stopped); // STOPPED first
    await taskStatus(taskEvent(id, 'RUNNING')); // a late RUNNING
    await taskStatus(stopped); // and STOPPED again
    const job = (await call('GET', `/v1/jobs/${id}`)).body;
    assert.equal(job.status, 'succeeded');
    assert.equal(job.exitCode, 0);
    assert.equal(job.attempts.length, 1);
  });

  it('a task that never started (image pull error) fails the job with the reason', async () => {
    const id = await queuedJob();
    ecs
      .on(RunTaskCommand)
      .resolves({ tasks: [{ taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/runlater/${id}` }] });
    await dispatcher(sqsEvent(id));
    await taskStatus(
      taskEvent(id, 'STOPPED', {
        stopCode: 'TaskFailedToStart',
        stoppedReason: 'CannotPullContainerError: pull image manifest has been retried 5 time(s): not found',
      }),
    );
    const job = (await call('GET', `/v1/jobs/${id}`)).body;
    assert.equal(job.status, 'failed');
    assert.equal(job.exitCode, null);
    assert.match(job.error, /CannotPullContainerError/);
  });

  it('cancel stops the running task with StopTask', async () => {
    const id = await queuedJob();
    const taskArn = `arn:aws:ecs:eu-west-1:123456789012:task/runlater/${id}`;
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn }] });
    await dispatcher(sqsEvent(id));
    await taskStatus(taskEvent(id, 'RUNNING'));
    ecs.on(StopTaskCommand).resolves({});
    assert.equal((await call('POST', `/v1/jobs/${id}/cancel`)).status, 202);
    assert.deepEqual(ecs.commandCalls(StopTaskCommand)[0]!.args[0].input, {
      cluster: CLUSTER,
      task: taskArn,
      reason: 'runlater: cancelled',
    });
    await taskStatus(
      taskEvent(id, 'STOPPED', {
        exitCode: 143,
        stopCode: 'UserInitiated',
        stoppedReason: 'runlater: cancelled',
      }),
    );
    assert.equal((await call('GET', `/v1/jobs/${id}`)).body.status, 'cancelled');
  });

  it('the reconciler stops a task past its timeout, and settles a job whose task vanished', async () => {
    const late = await queuedJob({ timeoutSeconds: 60 });
    const lateArn = `arn:aws:ecs:eu-west-1:123456789012:task/runlater/${late}`;
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: lateArn }] });
    await dispatcher(sqsEvent(late));
    await taskStatus(taskEvent(late, 'RUNNING'));
    const gone = await queuedJob();
    const goneArn = `arn:aws:ecs:eu-west-1:123456789012:task/runlater/${gone}`;
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: goneArn }] });
    await dispatcher(sqsEvent(gone));

    // Tasks of the earlier tests are gone by now; these two are what this test is about.
    ecs.on(DescribeTasksCommand).resolves({ tasks: [], failures: [] });
    ecs.on(DescribeTasksCommand, { cluster: CLUSTER, tasks: [lateArn] }).resolves({
      tasks: [
        {
          taskArn: lateArn,
          lastStatus: 'RUNNING',
          startedAt: new Date(Date.now() - 3600_000),
          containers: [],
        },
      ],
    });
    ecs
      .on(DescribeTasksCommand, { cluster: CLUSTER, tasks: [goneArn] })
      .resolves({ failures: [{ arn: goneArn, reason: 'MISSING' }] });
    ecs.on(StopTaskCommand).resolves({});
    await reconcile();
    assert.deepEqual(
      ecs.commandCalls(StopTaskCommand).map((c) => c.args[0].input),
      [{ cluster: CLUSTER, task: lateArn, reason: 'runlater: timed out' }],
    );
    const settled = (await call('GET', `/v1/jobs/${gone}`)).body;
    assert.equal(settled.status, 'failed');
    assert.match(settled.error, /vanished/);
    await taskStatus(
      taskEvent(late, 'STOPPED', {
        exitCode: 137,
        stopCode: 'UserInitiated',
        stoppedReason: 'runlater: timed out',
      }),
    );
    assert.equal((await call('GET', `/v1/jobs/${late}`)).body.status, 'timed_out');
  });
});
