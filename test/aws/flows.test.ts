import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import {
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  DeregisterTaskDefinitionCommand,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
} from '@aws-sdk/client-ecs';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateScheduleCommand } from '@aws-sdk/client-scheduler';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CONFIG_TAG } from '../../lambdas/adapters/ecs/EcsTaskDefinitions.ts';
import { FUNCTION_NAMES } from '../../lambdas/entrypoints/functionEnv.ts';
import { startedFlows, ECR_HOST, mocks, recorder } from './support/flowHarness.ts';
import { ACCOUNT, REGION } from './support/synthesized.ts';

const { ecs, s3, sqs, scheduler, ecr, logs, events } = mocks;

/**
 * The handlers as AWS runs them (support/flowHarness.ts): each function's runtime built by its
 * entry point's factory from exactly its synthesized env, DynamoDB in dynalite, other AWS calls
 * mocked and asserted. The last test holds every call recorded here against the synthesized IAM.
 */
describe('AWS flows, handler to AWS call, as the synthesized stack wires them', () => {
  const flows = startedFlows();
  beforeEach(() => flows.freshMocks());

  it('a 2 MiB stdin goes to S3, and the task gets it through a presigned URL', async () => {
    const bytes = Buffer.alloc(2 * 1024 * 1024, 9);
    const id = await flows.queuedJob({ stdinBase64: bytes.toString('base64') });
    const put = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    assert.equal(put.Bucket, flows.env.api.STDIN_BUCKET);
    assert.equal(put.Key, `stdin/${id}`);
    assert.ok(Buffer.from(put.Body as Uint8Array).equals(bytes));
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: flows.taskArnOf(id) }] });
    assert.deepEqual(await flows.dispatcher(flows.sqsEvent(id)), { batchItemFailures: [] });
    const init = ecs.commandCalls(RunTaskCommand)[0]!.args[0].input.overrides!.containerOverrides![0]!;
    assert.match(
      init.environment![0]!.value!,
      new RegExp(
        `^https://${flows.env.dispatcher.STDIN_BUCKET}\\.s3\\.eu-west-1\\.amazonaws\\.com/stdin/${id}\\?`,
      ),
    );
  });

  it('a duplicate SQS delivery starts no second task', async () => {
    const id = await flows.queuedJob({ stdin: 'hi' });
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: flows.taskArnOf(id) }] });
    assert.deepEqual(await flows.dispatcher(flows.sqsEvent(id, 'm1')), { batchItemFailures: [] });
    assert.deepEqual(await flows.dispatcher(flows.sqsEvent(id, 'm2')), { batchItemFailures: [] });
    assert.equal(ecs.commandCalls(RunTaskCommand).length, 1);
    assert.equal((await flows.call('GET', `/v1/jobs/${id}`)).body.status, 'starting');
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
      const id = await flows.queuedJob();
      answer();
      assert.deepEqual(await flows.dispatcher(flows.sqsEvent(id, 'm9')), {
        batchItemFailures: [{ itemIdentifier: 'm9' }],
      });
      // Counted for the dashboard, by reason.
      assert.deepEqual(flows.dispatchMetrics, [
        {
          name: 'DispatchRetried',
          dimensions: { reason: what === 'a throttled RunTask' ? 'throttled' : 'capacity' },
        },
      ]);
      const job = (await flows.call('GET', `/v1/jobs/${id}`)).body;
      assert.equal(job.status, 'starting');
      assert.equal(job.error, null);
      // Redelivered once capacity is back: the same clientToken.
      ecs.reset();
      ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: flows.taskArnOf('after') }] });
      assert.deepEqual(await flows.dispatcher(flows.sqsEvent(id, 'm9')), { batchItemFailures: [] });
      assert.equal(ecs.commandCalls(RunTaskCommand)[0]!.args[0].input.clientToken, `${id}-1`);
    });
  }

  it('duplicate and out-of-order task events change nothing', async () => {
    const id = await flows.queuedJob();
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: flows.taskArnOf(id) }] });
    await flows.dispatcher(flows.sqsEvent(id));
    const stopped = flows.taskEvent(id, 'STOPPED', { exitCode: 0, stopCode: 'EssentialContainerExited' });
    await flows.taskStatus(stopped); // STOPPED first
    await flows.taskStatus(flows.taskEvent(id, 'RUNNING')); // a late RUNNING
    await flows.taskStatus(stopped); // and STOPPED again
    const job = (await flows.call('GET', `/v1/jobs/${id}`)).body;
    assert.equal(job.status, 'succeeded');
    assert.equal(job.exitCode, 0);
    assert.equal(job.attempts.length, 1);
  });

  it('a task that never started (image pull error) fails the job with the reason', async () => {
    const id = await flows.queuedJob();
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: flows.taskArnOf(id) }] });
    await flows.dispatcher(flows.sqsEvent(id));
    await flows.taskStatus(
      flows.taskEvent(id, 'STOPPED', {
        stopCode: 'TaskFailedToStart',
        stoppedReason: 'CannotPullContainerError: pull image manifest has been retried 5 time(s): not found',
      }),
    );
    const job = (await flows.call('GET', `/v1/jobs/${id}`)).body;
    assert.equal(job.status, 'failed');
    assert.equal(job.exitCode, null);
    assert.match(job.error, /CannotPullContainerError/);
  });

  it('cancel stops the running task with StopTask', async () => {
    const id = await flows.queuedJob();
    const taskArn = flows.taskArnOf(id);
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn }] });
    await flows.dispatcher(flows.sqsEvent(id));
    await flows.taskStatus(flows.taskEvent(id, 'RUNNING'));
    ecs.on(StopTaskCommand).resolves({});
    assert.equal((await flows.call('POST', `/v1/jobs/${id}/cancel`)).status, 202);
    assert.deepEqual(ecs.commandCalls(StopTaskCommand)[0]!.args[0].input, {
      cluster: flows.cluster,
      task: taskArn,
      reason: 'runlater: cancelled',
    });
    await flows.taskStatus(
      flows.taskEvent(id, 'STOPPED', {
        exitCode: 143,
        stopCode: 'UserInitiated',
        stoppedReason: 'runlater: cancelled',
      }),
    );
    assert.equal((await flows.call('GET', `/v1/jobs/${id}`)).body.status, 'cancelled');
  });

  it('the reconciler stops a task past its timeout, and settles a job whose task vanished', async () => {
    const late = await flows.queuedJob({ timeoutSeconds: 60 });
    const lateArn = flows.taskArnOf(late);
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: lateArn }] });
    await flows.dispatcher(flows.sqsEvent(late));
    await flows.taskStatus(flows.taskEvent(late, 'RUNNING'));
    const gone = await flows.queuedJob();
    const goneArn = flows.taskArnOf(gone);
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: goneArn }] });
    await flows.dispatcher(flows.sqsEvent(gone));

    // Tasks of the earlier tests are gone by now; these two are what this test is about.
    ecs.on(DescribeTasksCommand).resolves({ tasks: [], failures: [] });
    ecs.on(DescribeTasksCommand, { cluster: flows.cluster, tasks: [lateArn] }).resolves({
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
      .on(DescribeTasksCommand, { cluster: flows.cluster, tasks: [goneArn] })
      .resolves({ failures: [{ arn: goneArn, reason: 'MISSING' }] });
    ecs.on(StopTaskCommand).resolves({});
    await flows.reconcileNow();
    assert.deepEqual(
      ecs.commandCalls(StopTaskCommand).map((c) => c.args[0].input),
      [{ cluster: flows.cluster, task: lateArn, reason: 'runlater: timed out' }],
    );
    const settled = (await flows.call('GET', `/v1/jobs/${gone}`)).body;
    assert.equal(settled.status, 'failed');
    assert.match(settled.error, /vanished/);
    await flows.taskStatus(
      flows.taskEvent(late, 'STOPPED', {
        exitCode: 137,
        stopCode: 'UserInitiated',
        stoppedReason: 'runlater: timed out',
      }),
    );
    assert.equal((await flows.call('GET', `/v1/jobs/${late}`)).body.status, 'timed_out');
  });
  it('cancel during the launch stops the task the dispatcher just started', async () => {
    const id = await flows.queuedJob();
    const taskArn = flows.taskArnOf(id);
    ecs.on(RunTaskCommand).callsFake(async () => {
      // The cancel comes while RunTask is in flight: no task id is recorded yet.
      assert.equal((await flows.call('POST', `/v1/jobs/${id}/cancel`)).status, 202);
      return { tasks: [{ taskArn }] };
    });
    ecs.on(StopTaskCommand).resolves({});
    assert.deepEqual(await flows.dispatcher(flows.sqsEvent(id)), { batchItemFailures: [] });
    assert.deepEqual(
      ecs.commandCalls(StopTaskCommand).map((c) => c.args[0].input),
      [{ cluster: flows.cluster, task: taskArn, reason: 'runlater: cancelled' }],
    );
  });

  it("a worker without a command on a private image of the account's ECR runs the image's ENTRYPOINT and CMD", async () => {
    ecr.on(GetAuthorizationTokenCommand).resolves({
      authorizationData: [{ authorizationToken: Buffer.from('AWS:pw').toString('base64') }],
    });
    const image = `${ECR_HOST}/private-app:1`;
    const res = await flows.call('POST', '/v1/workers', { name: 'private', image });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.deepEqual(flows.registryGets, ['/v2/private-app/manifests/1', '/v2/private-app/blobs/sha256:c']);
    const job = ecs.commandCalls(RegisterTaskDefinitionCommand)[0]!.args[0].input.containerDefinitions![1]!;
    assert.deepEqual(job.entryPoint!.slice(-2), ['/app', '--serve']);
  });

  it('a worker whose job role has an IAM path registers, and its tasks start', async () => {
    const taskRoleArn = `arn:aws:iam::${ACCOUNT}:role/teams/runlater-job-paths`;
    const res = await flows.call('POST', '/v1/workers', {
      name: 'pathrole',
      image: 'busybox:1.36',
      command: ['cat'],
      taskRoleArn,
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const id = await flows.queuedJob({}, 'pathrole');
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: flows.taskArnOf(id) }] });
    assert.deepEqual(await flows.dispatcher(flows.sqsEvent(id)), { batchItemFailures: [] });
  });

  it("after a deploy changed the task definition, the dispatcher registers the worker's anew and deregisters the old revision", async () => {
    // A worker no launch has seen yet in this process, as after a deploy (new Lambda instances).
    const created = await flows.call('POST', '/v1/workers', {
      name: 'upgraded',
      image: 'busybox:1.36',
      command: ['cat'],
    });
    assert.equal(created.status, 201);
    const family = `${flows.env.dispatcher.TASK_FAMILY_PREFIX}upgraded`;
    const old = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${family}:1`;
    const fresh = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${family}:2`;
    ecs.on(DescribeTaskDefinitionCommand).resolves({
      taskDefinition: {
        taskDefinitionArn: old,
        containerDefinitions: [
          { name: 'job', entryPoint: ['/runlater/busybox', 'sh', '/runlater/shim.sh', 'cat'] },
        ],
      },
      tags: [{ key: CONFIG_TAG, value: 'registered-by-an-older-deploy' }],
    });
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: fresh } });
    ecs.on(ListTaskDefinitionsCommand).resolves({
      // familyPrefix matches longer families too: another worker's must stay.
      taskDefinitionArns: [old, fresh, `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${family}x:4`],
    });
    ecs.on(DeregisterTaskDefinitionCommand).resolves({});
    const id = await flows.queuedJob({}, 'upgraded');
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: flows.taskArnOf(id) }] });
    assert.deepEqual(await flows.dispatcher(flows.sqsEvent(id)), { batchItemFailures: [] });
    const registered = ecs.commandCalls(RegisterTaskDefinitionCommand)[0]!.args[0].input;
    assert.equal(registered.family, family);
    assert.equal(registered.containerDefinitions![0]!.image, flows.env.dispatcher.SHIM_IMAGE);
    assert.equal(registered.executionRoleArn, flows.env.dispatcher.EXECUTION_ROLE_ARN);
    assert.deepEqual(registered.containerDefinitions![1]!.entryPoint!.slice(-1), ['cat']);
    assert.deepEqual(
      ecs.commandCalls(DeregisterTaskDefinitionCommand).map((c) => c.args[0].input.taskDefinition),
      [old],
    );
    // Registration comes before the launch, which names the family (its newest revision).
    assert.equal(ecs.commandCalls(RunTaskCommand)[0]!.args[0].input.taskDefinition, family);
    // Current now: the next launch of this worker does not ask again.
    const next = await flows.queuedJob({}, 'upgraded');
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: flows.taskArnOf(next) }] });
    await flows.dispatcher(flows.sqsEvent(next));
    assert.equal(ecs.commandCalls(DescribeTaskDefinitionCommand).length, 1);
  });

  it('a schedule made through the API targets the schedule-fire function, whose run queues the job', async () => {
    scheduler.on(CreateScheduleCommand).resolves({});
    const res = await flows.call('POST', '/v1/schedules', {
      name: 'nightly',
      worker: 'w',
      expression: 'cron(0 3 * * ? *)',
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const target = scheduler.commandCalls(CreateScheduleCommand)[0]!.args[0].input.Target!;
    assert.equal(target.Arn, flows.env.api.SCHEDULE_FIRE_ARN);
    sqs.on(SendMessageCommand).resolves({});
    const out = await flows.scheduleFire({ schedule: 'nightly', scheduledTime: '2026-11-27T03:00:00Z' });
    assert.ok(out.jobId);
    assert.equal(sqs.commandCalls(SendMessageCommand)[0]!.args[0].input.QueueUrl, flows.queueUrl);
  });

  it('a job delayed past 15 minutes waits in a one-time schedule that sends it to the dispatch queue', async () => {
    scheduler.on(CreateScheduleCommand).resolves({});
    const res = await flows.call('POST', '/v1/jobs', { worker: 'w', delaySeconds: 3600 });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const target = scheduler.commandCalls(CreateScheduleCommand)[0]!.args[0].input.Target!;
    assert.equal(target.Arn, flows.env.api.DISPATCH_QUEUE_ARN);
  });

  it("reads a job's output from its awslogs stream", async () => {
    const id = await flows.queuedJob();
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: flows.taskArnOf(id) }] });
    await flows.dispatcher(flows.sqsEvent(id));
    logs
      .on(GetLogEventsCommand)
      .resolves({ events: [{ timestamp: 1, message: 'o hi' }], nextForwardToken: 'f/1' });
    const res = await flows.call('GET', `/v1/jobs/${id}/logs`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(
      res.body.lines.map((l: { text: string }) => l.text),
      ['hi'],
    );
  });

  it('marks each task with startedBy in the characters RunTask allows', async () => {
    const id = await flows.queuedJob();
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: flows.taskArnOf(id) }] });
    await flows.dispatcher(flows.sqsEvent(id));
    // RunTask: up to 128 letters, numbers, hyphens, forward slashes and underscores.
    assert.match(ecs.commandCalls(RunTaskCommand)[0]!.args[0].input.startedBy!, /^[A-Za-z0-9/_-]{1,128}$/);
  });

  it('a cpu/memory pair Fargate does not run is a 400 naming memory, and registers nothing', async () => {
    const res = await flows.call('POST', '/v1/workers', {
      name: 'big',
      image: 'busybox:1.36',
      cpu: 256,
      memory: 4096,
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.field, 'memory');
    assert.equal(ecs.commandCalls(RegisterTaskDefinitionCommand).length, 0);
  });

  it('a task definition ECS refuses for what the worker asked is a 400 with its reason, not a 500', async () => {
    ecs
      .on(RegisterTaskDefinitionCommand)
      .rejects(Object.assign(new Error('Role is not valid'), { name: 'ClientException' }));
    const res = await flows.call('POST', '/v1/workers', {
      name: 'badrole',
      image: 'busybox:1.36',
      command: ['cat'],
      taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/runlater-job-gone`,
    });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.match(res.body.error.message, /Role is not valid/);
  });

  it('a log read CloudWatch keeps throttling is retried, then answered 429 with Retry-After', async () => {
    const id = await flows.queuedJob();
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: flows.taskArnOf(id) }] });
    await flows.dispatcher(flows.sqsEvent(id));
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    logs.on(GetLogEventsCommand).rejects(throttled);
    const event = flows.apiEvent('GET', `/v1/jobs/${id}/logs`);
    const res = await flows.apiRaw(event);
    assert.equal(res.statusCode, 429);
    assert.equal(res.headers?.['retry-after'], '2');
    assert.equal(logs.commandCalls(GetLogEventsCommand).length, 5);
    // Throttled twice, then through: the reader's answer, no error.
    logs.reset();
    recorder.instrument(CloudWatchLogsClient);
    logs
      .on(GetLogEventsCommand)
      .rejectsOnce(throttled)
      .rejectsOnce(throttled)
      .resolves({ events: [{ timestamp: 1, message: 'o late' }], nextForwardToken: 'f/1' });
    const ok = await flows.call('GET', `/v1/jobs/${id}/logs`);
    assert.equal(ok.status, 200);
    assert.deepEqual(
      ok.body.lines.map((l: { text: string }) => l.text),
      ['late'],
    );
  });

  it('a failed attempt with retries left is queued again by the status function', async () => {
    const worker = {
      name: 'retrying',
      image: 'busybox:1.36',
      command: ['false'],
      retry: { maxAttempts: 2, backoff: 'none' },
    };
    assert.equal((await flows.call('POST', '/v1/workers', worker)).status, 201);
    const id = await flows.queuedJob({}, 'retrying');
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: flows.taskArnOf(id) }] });
    await flows.dispatcher(flows.sqsEvent(id));
    sqs.reset();
    recorder.instrument(SQSClient);
    sqs.on(SendMessageCommand).resolves({});
    await flows.taskStatus(
      flows.taskEvent(id, 'STOPPED', { exitCode: 1, stopCode: 'EssentialContainerExited' }),
    );
    const sent = sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
    assert.deepEqual(sent, [
      { QueueUrl: flows.queueUrl, MessageBody: JSON.stringify({ jobId: id, attempt: 2 }), DelaySeconds: 0 },
    ]);
  });

  it("what the Scheduler or CloudWatch refuse of the user's input is a 400 naming the field, not a 500", async () => {
    scheduler
      .on(CreateScheduleCommand)
      .rejects(Object.assign(new Error('Invalid Schedule Expression'), { name: 'ValidationException' }));
    const made = await flows.call('POST', '/v1/schedules', {
      name: 'odd',
      worker: 'w',
      expression: 'cron(0 3 * * ? *)',
    });
    assert.equal(made.status, 400, JSON.stringify(made.body));
    assert.equal(made.body.error.field, 'expression');

    const id = await flows.queuedJob();
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: flows.taskArnOf(id) }] });
    await flows.dispatcher(flows.sqsEvent(id));
    logs
      .on(GetLogEventsCommand)
      .rejects(
        Object.assign(new Error('The specified nextToken is invalid'), { name: 'InvalidParameterException' }),
      );
    const read = await flows.call('GET', `/v1/jobs/${id}/logs?cursor=f%2Fbogus`);
    assert.equal(read.status, 400, JSON.stringify(read.body));
    assert.equal(read.body.error.field, 'cursor');
  });

  it("a pipeline's job takes its source's stdout from CloudWatch Logs, and its webhook goes through the delivery queue", async () => {
    const first = await flows.queuedJob({ stdin: 'x' });
    ecs.on(RunTaskCommand).callsFake((input: { startedBy: string }) => ({
      tasks: [{ taskArn: flows.taskArnOf(input.startedBy.split('_')[0]!) }],
    }));
    await flows.dispatcher(flows.sqsEvent(first));
    const second = await flows.queuedJob({ stdinFrom: first, notify: { url: 'https://127.0.0.1/hook' } });
    // As CloudWatch Logs answers: the events, then (asked from the end token) none and the same token.
    logs
      .on(GetLogEventsCommand)
      .callsFake((input: { nextToken?: string }) =>
        input.nextToken === 'f/end'
          ? { events: [], nextForwardToken: 'f/end' }
          : { events: [{ timestamp: 1, message: 'o piped' }], nextForwardToken: 'f/end' },
      );
    await flows.taskStatus(
      flows.taskEvent(first, 'STOPPED', { exitCode: 0, stopCode: 'EssentialContainerExited' }),
    );
    await flows.dispatcher(flows.sqsEvent(second));
    assert.equal(
      logs.commandCalls(GetLogEventsCommand)[0]!.args[0].input.logGroupName,
      flows.env.dispatcher.JOB_LOG_GROUP,
    );
    assert.equal((await flows.call('GET', `/v1/jobs/${second}`)).body.stdinBytes, 'piped\n'.length);
    // The jobs table's stream, fed to the jobEvents function: the second job's life, in order.
    events.resetHistory();
    assert.deepEqual(await flows.jobEvents(), { batchItemFailures: [] });
    const put = events
      .commandCalls(PutEventsCommand)
      .flatMap((c) => c.args[0].input.Entries!)
      .map((e) => ({ bus: e.EventBusName, ...JSON.parse(e.Detail!) }))
      .filter((d) => d.job.id === second)
      .map((d) => [d.bus, d.transition, d.previousStatus, d.job.status]);
    assert.deepEqual(put, [
      [flows.env.jobEvents.EVENT_BUS_NAME, 'create', 'queued', 'queued'],
      [flows.env.jobEvents.EVENT_BUS_NAME, 'startAttempt', 'queued', 'starting'],
      [flows.env.jobEvents.EVENT_BUS_NAME, 'recordTask', 'starting', 'starting'],
    ]);

    await flows.taskStatus(
      flows.taskEvent(second, 'STOPPED', { exitCode: 0, stopCode: 'EssentialContainerExited' }),
    );
    const queued = sqs
      .commandCalls(SendMessageCommand)
      .map((c) => c.args[0].input)
      .find((m) => m.QueueUrl === flows.env.taskStatus.DELIVERY_QUEUE_URL);
    assert.ok(queued, 'the finished job queued its webhook delivery');
    const event = flows.sqsEvent(second);
    event.Records[0]!.body = queued.MessageBody!;
    assert.deepEqual(await flows.webhookDelivery(event), { batchItemFailures: [] });
    // A loopback target is refused on AWS by default: recorded as failed, not retried.
    const [delivery] = (await flows.call('GET', `/v1/jobs/${second}/deliveries`)).body.deliveries;
    assert.equal(delivery.status, 'failed');
  });

  it("every AWS call above is allowed by its function's synthesized IAM policies (and ECS's and the Scheduler's)", async () => {
    const verdicts = await flows.iamVerdicts();
    const denied = verdicts
      .filter((v) => v.result !== 'Allowed')
      .map(
        (v) =>
          `${v.who}: ${v.request.action} on ${v.request.resource} ${JSON.stringify(v.request.context)} → ${v.result}`,
      );
    const pairs = [...new Set(verdicts.map((v) => `${v.who} ${v.request.action}`))].sort();
    if (process.env.RUNLATER_IAM_REPORT) console.log(`${pairs.join('\n')}\n${pairs.length} pairs`);
    assert.deepEqual(denied, []);
    // Every function, the execution role and the scheduler role were exercised.
    const who = [...new Set(verdicts.map((v) => v.who))].sort();
    assert.deepEqual(who, [...FUNCTION_NAMES, 'executionRole', 'schedulerRole'].sort());
  });
});
