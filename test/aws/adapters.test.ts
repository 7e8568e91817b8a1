import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import {
  CloudWatchLogsClient,
  GetLogEventsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-cloudwatch-logs';
import { ECSClient, RegisterTaskDefinitionCommand, RunTaskCommand } from '@aws-sdk/client-ecs';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchLogReader, jobStreamName } from '../../lambdas/adapters/cloudwatch/CloudWatchLogReader.ts';
import { EcsTaskDefinitions } from '../../lambdas/adapters/ecs/EcsTaskDefinitions.ts';
import { EcsTaskLauncher, MAX_OVERRIDE_CHARS } from '../../lambdas/adapters/ecs/EcsTaskLauncher.ts';
import { S3StdinStore } from '../../lambdas/adapters/s3/S3StdinStore.ts';
import { SqsDispatchQueue } from '../../lambdas/adapters/sqs/SqsDispatchQueue.ts';
import { RetryLaterError } from '../../lambdas/core/errors.ts';
import { LIMITS } from '../../lambdas/core/limits.ts';
import type { TaskSpec } from '../../lambdas/core/ports.ts';
import type { Worker } from '../../lambdas/core/schemas.ts';

const region = 'eu-west-1';
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const ecsMock = mockClient(ECSClient);
const s3Mock = mockClient(S3Client);
const logsMock = mockClient(CloudWatchLogsClient);
const sqsMock = mockClient(SQSClient);

const worker: Worker = {
  name: 'resize',
  image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/resize:3',
  command: ['/resize', '--quality', '80'],
  env: { QUALITY: 'high' },
  cpu: 512,
  memory: 1024,
  timeoutSeconds: 600,
  retry: { maxAttempts: 1, backoff: 'none', jitter: true },
  createdAt: '2026-11-22T12:00:00.000Z',
  updatedAt: '2026-11-22T12:00:00.000Z',
  revision: 1,
};
const jobId = '01jz0000000000000000000000';
const spec = (stdin: TaskSpec['stdin'], env: Record<string, string> = { SIZE: '64' }): TaskSpec => ({
  clientToken: `${jobId}-1`,
  jobId,
  attempt: 1,
  worker,
  env: { ...env, RUNLATER_JOB_ID: jobId, RUNLATER_ATTEMPT: '1' },
  stdin,
  timeoutSeconds: 600,
});
const network = {
  cluster: 'arn:aws:ecs:eu-west-1:123456789012:cluster/runlater',
  subnets: ['subnet-a', 'subnet-b'],
  securityGroups: ['sg-1'],
  assignPublicIp: true,
};

function launcher() {
  const stdin = new S3StdinStore(new S3Client({ region, credentials }), 'stdin-bucket');
  return new EcsTaskLauncher(new ECSClient({ region, credentials }), stdin, network);
}

beforeEach(() => {
  ecsMock.reset();
  s3Mock.reset();
  logsMock.reset();
  sqsMock.reset();
});

describe('RunTask', () => {
  it('starts one Fargate task per attempt, small stdin inline, with the attempt as clientToken', async () => {
    ecsMock
      .on(RunTaskCommand)
      .resolves({ tasks: [{ taskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/runlater/abc' }] });
    const { taskId } = await launcher().launch(spec({ bytes: 5, inlineBase64: 'aGVsbG8=' }));
    assert.equal(taskId, 'arn:aws:ecs:eu-west-1:123456789012:task/runlater/abc');
    assert.deepEqual(ecsMock.commandCalls(RunTaskCommand)[0]!.args[0].input, {
      cluster: network.cluster,
      taskDefinition: 'runlater-resize',
      launchType: 'FARGATE',
      count: 1,
      clientToken: `${jobId}-1`,
      startedBy: `${jobId}.1`,
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: ['subnet-a', 'subnet-b'],
          securityGroups: ['sg-1'],
          assignPublicIp: 'ENABLED',
        },
      },
      overrides: {
        containerOverrides: [
          { name: 'runlater-init', environment: [{ name: 'RUNLATER_STDIN_B64', value: 'aGVsbG8=' }] },
          {
            name: 'job',
            environment: [
              { name: 'SIZE', value: '64' },
              { name: 'RUNLATER_JOB_ID', value: jobId },
              { name: 'RUNLATER_ATTEMPT', value: '1' },
            ],
          },
        ],
      },
      tags: [
        { key: 'runlater:job', value: jobId },
        { key: 'runlater:attempt', value: '1' },
      ],
    });
    assert.equal(s3Mock.calls().length, 0);
  });

  it('gives large stdin to the init container as a presigned S3 URL', async () => {
    ecsMock.on(RunTaskCommand).resolves({ tasks: [{ taskArn: 'arn:task/x' }] });
    await launcher().launch(spec({ bytes: 2 * 1024 * 1024, blobKey: `stdin/${jobId}` }));
    const input = ecsMock.commandCalls(RunTaskCommand)[0]!.args[0].input;
    const init = input.overrides!.containerOverrides![0]!;
    assert.equal(init.environment!.length, 1);
    assert.equal(init.environment![0]!.name, 'RUNLATER_STDIN_URL');
    const url = new URL(init.environment![0]!.value!);
    assert.equal(url.hostname, 'stdin-bucket.s3.eu-west-1.amazonaws.com');
    assert.equal(url.pathname, `/stdin/${jobId}`);
    assert.equal(url.searchParams.get('X-Amz-Expires'), '3600');
    assert.ok(JSON.stringify(input.overrides).length <= MAX_OVERRIDE_CHARS);
  });

  it('fits the overrides in 8192 characters at the limits, moving inline stdin to S3 when it must', async () => {
    ecsMock.on(RunTaskCommand).resolves({ tasks: [{ taskArn: 'arn:task/x' }] });
    s3Mock.on(PutObjectCommand).resolves({});
    // The largest job env the API accepts: 50 variables, 4096 characters of names and values.
    const env: Record<string, string> = {};
    for (let i = 0; i < LIMITS.jobEnvVars; i++)
      env[`V${String(i).padStart(2, '0')}`] = 'x'.repeat(
        Math.floor(LIMITS.jobEnvChars / LIMITS.jobEnvVars) - 3,
      );
    const inline = Buffer.alloc(LIMITS.inlineStdinBytes, 7).toString('base64');
    await launcher().launch(spec({ bytes: LIMITS.inlineStdinBytes, inlineBase64: inline }, env));
    const input = ecsMock.commandCalls(RunTaskCommand)[0]!.args[0].input;
    assert.ok(
      JSON.stringify(input.overrides).length <= MAX_OVERRIDE_CHARS,
      `${JSON.stringify(input.overrides).length}`,
    );
    assert.equal(input.overrides!.containerOverrides![0]!.environment![0]!.name, 'RUNLATER_STDIN_URL');
    const put = s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input;
    assert.equal(put.Bucket, 'stdin-bucket');
    assert.equal(put.Key, `stdin/${jobId}`);
    assert.equal(Buffer.from(put.Body as Uint8Array).length, LIMITS.inlineStdinBytes);

    // Inline stdin with an ordinary env stays inline, right at the inline limit.
    ecsMock.resetHistory();
    await launcher().launch(spec({ bytes: LIMITS.inlineStdinBytes, inlineBase64: inline }));
    const small = ecsMock.commandCalls(RunTaskCommand)[0]!.args[0].input;
    assert.equal(small.overrides!.containerOverrides![0]!.environment![0]!.name, 'RUNLATER_STDIN_B64');
  });

  it('puts a throttled attempt back for later', async () => {
    ecsMock
      .on(RunTaskCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await assert.rejects(launcher().launch(spec({ bytes: 0, inlineBase64: '' })), (err: unknown) => {
      assert.ok(err instanceof RetryLaterError);
      assert.equal(err.reason, 'throttled');
      return true;
    });
  });

  it('recognises throttling wrapped in another error', async () => {
    ecsMock
      .on(RunTaskCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ClientException' }));
    await assert.rejects(launcher().launch(spec({ bytes: 0, inlineBase64: '' })), RetryLaterError);
  });

  it('puts an attempt back when Fargate has no capacity (failures in a 200 answer)', async () => {
    ecsMock
      .on(RunTaskCommand)
      .resolves({ tasks: [], failures: [{ reason: 'Capacity is unavailable at this time' }] });
    await assert.rejects(launcher().launch(spec({ bytes: 0, inlineBase64: '' })), (err: unknown) => {
      assert.ok(err instanceof RetryLaterError);
      assert.equal(err.reason, 'capacity');
      return true;
    });
  });

  it('fails for real on a permanent error (e.g. no task definition)', async () => {
    ecsMock
      .on(RunTaskCommand)
      .rejects(Object.assign(new Error('TaskDefinition not found.'), { name: 'ClientException' }));
    await assert.rejects(
      launcher().launch(spec({ bytes: 0, inlineBase64: '' })),
      (err: unknown) => !(err instanceof RetryLaterError),
    );
  });
});

describe('RegisterTaskDefinition', () => {
  const config = {
    executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
    shimImage: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/cdk-assets:shim',
    logRouterImage: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable',
    logGroupName: 'runlater-jobs',
    region,
  };

  it("registers the worker's image, cpu, memory and env, with the shim in front of its command", async () => {
    ecsMock.on(RegisterTaskDefinitionCommand).resolves({});
    const defs = new EcsTaskDefinitions(new ECSClient({ region, credentials }), config, async () =>
      assert.fail('no lookup'),
    );
    await defs.register(worker);
    const input = ecsMock.commandCalls(RegisterTaskDefinitionCommand)[0]!.args[0].input;
    assert.equal(input.family, 'runlater-resize');
    assert.deepEqual([input.cpu, input.memory, input.networkMode], ['512', '1024', 'awsvpc']);
    assert.deepEqual(input.requiresCompatibilities, ['FARGATE']);
    assert.equal(input.taskRoleArn, undefined, 'the job gets no AWS permissions');
    const [router, init, job] = input.containerDefinitions!;
    assert.equal(router!.firelensConfiguration!.type, 'fluentbit');
    assert.deepEqual(init, {
      name: 'runlater-init',
      image: config.shimImage,
      essential: false,
      mountPoints: [{ sourceVolume: 'runlater', containerPath: '/runlater', readOnly: false }],
      logConfiguration: {
        logDriver: 'awslogs',
        options: {
          'awslogs-group': 'runlater-jobs',
          'awslogs-region': region,
          'awslogs-stream-prefix': 'init',
        },
      },
    });
    assert.deepEqual(job!.entryPoint, [
      '/runlater/busybox',
      'sh',
      '/runlater/shim.sh',
      '/resize',
      '--quality',
      '80',
    ]);
    assert.deepEqual(job!.environment, [{ name: 'QUALITY', value: 'high' }]);
    assert.deepEqual(job!.dependsOn, [{ containerName: 'runlater-init', condition: 'SUCCESS' }]);
    assert.deepEqual(job!.mountPoints, [
      { sourceVolume: 'runlater', containerPath: '/runlater', readOnly: true },
    ]);
    assert.equal(job!.logConfiguration!.logDriver, 'awsfirelens');
  });

  it('gives the task the role its worker names, and only then', async () => {
    ecsMock.on(RegisterTaskDefinitionCommand).resolves({});
    const defs = new EcsTaskDefinitions(new ECSClient({ region, credentials }), config, async () =>
      assert.fail('no lookup'),
    );
    const taskRoleArn = 'arn:aws:iam::123456789012:role/runlater-job-resize';
    await defs.register({ ...worker, taskRoleArn });
    assert.equal(
      ecsMock.commandCalls(RegisterTaskDefinitionCommand)[0]!.args[0].input.taskRoleArn,
      taskRoleArn,
    );
  });

  it("without a command, runs the image's own ENTRYPOINT and CMD, read from its registry", async () => {
    ecsMock.on(RegisterTaskDefinitionCommand).resolves({});
    const defs = new EcsTaskDefinitions(new ECSClient({ region, credentials }), config, async (image) => {
      assert.equal(image, 'busybox:1.36');
      return { entrypoint: ['/bin/sh', '-c'], cmd: ['echo hi'] };
    });
    const { command: _command, ...noCommand } = worker;
    await defs.register({ ...noCommand, image: 'busybox:1.36' });
    const job = ecsMock.commandCalls(RegisterTaskDefinitionCommand)[0]!.args[0].input
      .containerDefinitions![2]!;
    assert.deepEqual(job.entryPoint, [
      '/runlater/busybox',
      'sh',
      '/runlater/shim.sh',
      '/bin/sh',
      '-c',
      'echo hi',
    ]);
  });

  it('refuses a worker whose image cannot be read and that gives no command, registering nothing', async () => {
    const defs = new EcsTaskDefinitions(new ECSClient({ region, credentials }), config, async () => {
      throw new Error('401 from registry');
    });
    const { command: _command, ...noCommand } = worker;
    await assert.rejects(defs.register(noCommand), /give the worker a command/);
    assert.equal(ecsMock.commandCalls(RegisterTaskDefinitionCommand).length, 0);
  });
});

describe('GetLogEvents', () => {
  const reader = () =>
    new CloudWatchLogReader(new CloudWatchLogsClient({ region, credentials }), 'runlater-jobs');
  const taskArn = 'arn:aws:ecs:eu-west-1:123456789012:task/runlater/0123abcd';
  const query = { jobId, attempt: 1, taskId: taskArn, stream: 'all' as const, limit: 100 };

  it('reads the stream named from the task id, through an empty page that carries a token', async () => {
    logsMock
      .on(GetLogEventsCommand)
      .resolvesOnce({ events: [], nextForwardToken: 'f/1' })
      .resolvesOnce({
        events: [
          { timestamp: 1763812800000, message: '{"log":"hello","source":"stdout","container_name":"job"}' },
          { timestamp: 1763812800001, message: '{"log":"oops","source":"stderr","container_name":"job"}' },
        ],
        nextForwardToken: 'f/2',
      });
    const page = await reader().read(query);
    assert.equal(jobStreamName(taskArn), 'job/job-firelens-0123abcd');
    assert.deepEqual(
      logsMock.commandCalls(GetLogEventsCommand).map((c) => c.args[0].input),
      [
        {
          logGroupName: 'runlater-jobs',
          logStreamName: 'job/job-firelens-0123abcd',
          startFromHead: true,
          limit: 100,
        },
        {
          logGroupName: 'runlater-jobs',
          logStreamName: 'job/job-firelens-0123abcd',
          startFromHead: true,
          limit: 100,
          nextToken: 'f/1',
        },
      ],
    );
    assert.deepEqual(page, {
      lines: [
        { stream: 'stdout', timestamp: '2025-11-22T12:00:00.000Z', text: 'hello' },
        { stream: 'stderr', timestamp: '2025-11-22T12:00:00.001Z', text: 'oops' },
      ],
      nextCursor: 'f/2',
    });
  });

  it('stops at the end (the token comes back unchanged) and keeps the cursor for following', async () => {
    logsMock.on(GetLogEventsCommand).resolves({ events: [], nextForwardToken: 'f/2' });
    const page = await reader().read({ ...query, cursor: 'f/2' });
    assert.deepEqual(page, { lines: [], nextCursor: 'f/2' });
    assert.equal(logsMock.commandCalls(GetLogEventsCommand).length, 1);
  });

  it('keeps stdout and stderr apart', async () => {
    logsMock.on(GetLogEventsCommand).resolves({
      events: [
        { timestamp: 1, message: '{"log":"a","source":"stdout"}' },
        { timestamp: 2, message: '{"log":"b","source":"stderr"}' },
      ],
      nextForwardToken: 'f/9',
    });
    const page = await reader().read({ ...query, stream: 'stderr' });
    assert.deepEqual(
      page.lines.map((l) => l.text),
      ['b'],
    );
  });

  it('answers no lines while the stream does not exist yet', async () => {
    logsMock
      .on(GetLogEventsCommand)
      .rejects(new ResourceNotFoundException({ message: 'no stream', $metadata: {} }));
    assert.deepEqual(await reader().read(query), { lines: [], nextCursor: '' });
  });
});

describe('S3 and SQS', () => {
  it('stores stdin encrypted under stdin/<job id>', async () => {
    s3Mock.on(PutObjectCommand).resolves({});
    const key = await new S3StdinStore(new S3Client({ region, credentials }), 'stdin-bucket').put(
      jobId,
      Buffer.from('abc'),
    );
    assert.equal(key, `stdin/${jobId}`);
    const input = s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input;
    assert.deepEqual(
      { ...input, Body: Buffer.from(input.Body as Uint8Array).toString() },
      {
        Bucket: 'stdin-bucket',
        Key: `stdin/${jobId}`,
        Body: 'abc',
        ContentType: 'application/octet-stream',
        ServerSideEncryption: 'AES256',
      },
    );
  });

  it('sends dispatch messages with SQS delays capped at 15 minutes', async () => {
    sqsMock.on(SendMessageCommand).resolves({});
    const queue = new SqsDispatchQueue(new SQSClient({ region, credentials }), 'https://sqs/q');
    await queue.send({ jobId, attempt: 2 }, 30);
    await queue.send({ jobId, attempt: 2 }, 5000);
    assert.deepEqual(
      sqsMock.commandCalls(SendMessageCommand).map((c) => c.args[0].input),
      [
        { QueueUrl: 'https://sqs/q', MessageBody: `{"jobId":"${jobId}","attempt":2}`, DelaySeconds: 30 },
        { QueueUrl: 'https://sqs/q', MessageBody: `{"jobId":"${jobId}","attempt":2}`, DelaySeconds: 900 },
      ],
    );
  });
});
