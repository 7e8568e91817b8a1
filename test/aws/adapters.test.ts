import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
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
import { CONFIG_TAG, EcsTaskDefinitions } from '../../lambdas/adapters/ecs/EcsTaskDefinitions.ts';
import { EcsTaskLauncher, MAX_OVERRIDE_CHARS } from '../../lambdas/adapters/ecs/EcsTaskLauncher.ts';
import { S3StdinStore } from '../../lambdas/adapters/s3/S3StdinStore.ts';
import { SqsDispatchQueue } from '../../lambdas/adapters/sqs/SqsDispatchQueue.ts';
import { RetryLaterError } from '../../lambdas/core/errors.ts';
import { LIMITS } from '../../lambdas/core/limits.ts';
import type { TaskSpec } from '../../lambdas/core/ports.ts';
import { envAsOverrideJson, JobEnv, type Worker } from '../../lambdas/core/schemas.ts';

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
  network: { subnets: ['subnet-a', 'subnet-b'], securityGroups: ['sg-1'], assignPublicIp: true },
};

/**
 * A Lambda signs with temporary credentials: the session token rides in every presigned URL
 * (X-Amz-Security-Token), ~1,000-1,300 characters of base64. 1,400 here, to leave no doubt.
 */
const lambdaCredentials = {
  accessKeyId: 'ASIAEXAMPLEEXAMPLE12',
  secretAccessKey: 'secret',
  sessionToken: Array.from({ length: 20 }, (_, i) => createHash('sha512').update(String(i)).digest('base64'))
    .join('')
    .slice(0, 1400),
};

function launcher(signWith: typeof credentials = credentials) {
  const stdin = new S3StdinStore(
    new S3Client({ region, credentials: signWith }),
    // As long as a CDK-named bucket gets.
    'runlater-runlaterstdinbucket0a1b2c3d-0123456789ab',
  );
  return new EcsTaskLauncher(new ECSClient({ region, credentials }), stdin, network);
}

/**
 * The largest job env the API accepts: LIMITS.jobEnvVars variables, within LIMITS.jobEnvChars
 * characters, and (some quotes in the first value) exactly LIMITS.jobEnvJsonChars as ECS gets it.
 */
function largestJobEnv(value = (n: number) => 'x'.repeat(n)): Record<string, string> {
  const env: Record<string, string> = {};
  for (let i = 0; i < LIMITS.jobEnvVars; i++)
    env[`V${String(i).padStart(2, '0')}`] = value(Math.floor(LIMITS.jobEnvChars / LIMITS.jobEnvVars) - 3);
  // A quote takes one character more than an x once escaped: trade x's for quotes up to the limit.
  for (const name of Object.keys(env)) {
    const short = LIMITS.jobEnvJsonChars - envAsOverrideJson(env).length;
    const v = env[name]!;
    const n = Math.min(short, v.replace(/[^x]/g, '').length);
    if (n <= 0) break;
    env[name] = '"'.repeat(n) + v.slice(n);
  }
  return env;
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
      startedBy: `${jobId}_1`,
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
    assert.equal(
      url.hostname,
      'runlater-runlaterstdinbucket0a1b2c3d-0123456789ab.s3.eu-west-1.amazonaws.com',
    );
    assert.equal(url.pathname, `/stdin/${jobId}`);
    assert.equal(url.searchParams.get('X-Amz-Expires'), '3600');
    assert.ok(JSON.stringify(input.overrides).length <= MAX_OVERRIDE_CHARS);
  });

  describe('at the edge of 8192 characters of overrides', () => {
    const inline = Buffer.alloc(LIMITS.inlineStdinBytes, 7).toString('base64');

    it('keeps the largest inline stdin inline beside an ordinary env', async () => {
      ecsMock.on(RunTaskCommand).resolves({ tasks: [{ taskArn: 'arn:task/x' }] });
      await launcher(lambdaCredentials).launch(
        spec({ bytes: LIMITS.inlineStdinBytes, inlineBase64: inline }),
      );
      const input = ecsMock.commandCalls(RunTaskCommand)[0]!.args[0].input;
      assert.equal(input.overrides!.containerOverrides![0]!.environment![0]!.name, 'RUNLATER_STDIN_B64');
      assert.ok(JSON.stringify(input.overrides).length <= MAX_OVERRIDE_CHARS);
      assert.equal(s3Mock.calls().length, 0);
    });

    it('moves inline stdin to S3 when it and the largest env do not fit together', async () => {
      assert.equal(envAsOverrideJson(largestJobEnv()).length, LIMITS.jobEnvJsonChars);
      assert.deepEqual(JobEnv.parse(largestJobEnv()), largestJobEnv(), 'the API accepts this env');
      ecsMock.on(RunTaskCommand).resolves({ tasks: [{ taskArn: 'arn:task/x' }] });
      s3Mock.on(PutObjectCommand).resolves({});
      await launcher(lambdaCredentials).launch(
        spec({ bytes: LIMITS.inlineStdinBytes, inlineBase64: inline }, largestJobEnv()),
      );
      const input = ecsMock.commandCalls(RunTaskCommand)[0]!.args[0].input;
      const size = JSON.stringify(input.overrides).length;
      assert.ok(size <= MAX_OVERRIDE_CHARS, `${size} characters`);
      const [init] = input.overrides!.containerOverrides!;
      assert.equal(init!.environment!.length, 1);
      assert.equal(init!.environment![0]!.name, 'RUNLATER_STDIN_URL');
      assert.match(init!.environment![0]!.value!, /X-Amz-Security-Token=/);
      const put = s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input;
      assert.deepEqual(
        { ...put, Body: Buffer.from(put.Body as Uint8Array) },
        {
          Bucket: 'runlater-runlaterstdinbucket0a1b2c3d-0123456789ab',
          Key: `stdin/${jobId}`,
          Body: Buffer.alloc(LIMITS.inlineStdinBytes, 7),
          ContentType: 'application/octet-stream',
          ServerSideEncryption: 'AES256',
        },
      );
    });

    it('refuses, without calling ECS, an env that JSON escaping pushes past the limit', async () => {
      // 4096 characters of quotes are 8192 once escaped. The API refuses such an env (JobEnv
      // measures it as JSON); the launcher checks again rather than let ECS refuse it.
      const env = largestJobEnv((n) => '"'.repeat(n));
      assert.equal(JobEnv.safeParse(env).success, false);
      await assert.rejects(
        launcher(lambdaCredentials).launch(spec({ bytes: 0, inlineBase64: '' }, env)),
        (err: unknown) => !(err instanceof RetryLaterError) && /ECS allows 8192/.test(String(err)),
      );
      assert.equal(ecsMock.commandCalls(RunTaskCommand).length, 0);
    });
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
    logGroupName: 'runlater-jobs',
    region,
  };

  it("registers the worker's image, cpu, memory and env, with the shim in front of its command", async () => {
    ecsMock.on(RegisterTaskDefinitionCommand).resolves({});
    const defs = new EcsTaskDefinitions(new ECSClient({ region, credentials }), config, async () =>
      assert.fail('no lookup'),
    );
    await defs.register(worker);
    const digest = ecsMock
      .commandCalls(RegisterTaskDefinitionCommand)[0]!
      .args[0].input.tags!.find((t) => t.key === CONFIG_TAG)!.value!;
    assert.match(digest, /^[0-9a-f]{32}$/);
    const awslogs = {
      logDriver: 'awslogs',
      options: {
        'awslogs-group': 'runlater-jobs',
        'awslogs-region': region,
        'awslogs-stream-prefix': 'runlater',
        mode: 'blocking',
      },
    };
    assert.deepEqual(ecsMock.commandCalls(RegisterTaskDefinitionCommand)[0]!.args[0].input, {
      family: 'runlater-resize',
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '512',
      memory: '1024',
      executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
      // no taskRoleArn: the job gets no AWS permissions
      runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
      volumes: [{ name: 'runlater' }],
      containerDefinitions: [
        {
          name: 'runlater-init',
          image: config.shimImage,
          essential: false,
          mountPoints: [{ sourceVolume: 'runlater', containerPath: '/runlater', readOnly: false }],
          logConfiguration: awslogs,
        },
        {
          name: 'job',
          image: worker.image,
          essential: true,
          entryPoint: ['/runlater/busybox', 'sh', '/runlater/shim.sh', '/resize', '--quality', '80'],
          environment: [
            { name: 'QUALITY', value: 'high' },
            { name: 'RUNLATER_LOG_TAGS', value: '1' },
          ],
          mountPoints: [{ sourceVolume: 'runlater', containerPath: '/runlater', readOnly: true }],
          dependsOn: [{ containerName: 'runlater-init', condition: 'SUCCESS' }],
          logConfiguration: awslogs,
        },
      ],
      tags: [
        { key: 'runlater:worker', value: 'resize' },
        { key: CONFIG_TAG, value: digest },
      ],
    });
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

  it("names the worker's secrets and registry credentials by ARN in the task definition, never their values", async () => {
    ecsMock.on(RegisterTaskDefinitionCommand).resolves({});
    const defs = new EcsTaskDefinitions(new ECSClient({ region, credentials }), config, async () =>
      assert.fail('no lookup'),
    );
    const secrets = {
      DB_PASSWORD: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:runlater/db-AbCdEf',
      API_KEY: 'arn:aws:ssm:eu-west-1:123456789012:parameter/runlater/api-key',
    };
    const registryCredentials = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:runlater/ghcr-XyZ123';
    await defs.register({ ...worker, image: 'ghcr.io/acme/resize:3', secrets, registryCredentials });
    const job = ecsMock.commandCalls(RegisterTaskDefinitionCommand)[0]!.args[0].input
      .containerDefinitions![1]!;
    assert.deepEqual(job.secrets, [
      { name: 'DB_PASSWORD', valueFrom: secrets.DB_PASSWORD },
      { name: 'API_KEY', valueFrom: secrets.API_KEY },
    ]);
    assert.deepEqual(job.repositoryCredentials, { credentialsParameter: registryCredentials });
    assert.deepEqual(
      job.environment?.map((e) => e.name),
      ['QUALITY', 'RUNLATER_LOG_TAGS'],
    );
  });

  it('refuses a local secret name or an SSM parameter as registry credentials on AWS, registering nothing', async () => {
    const defs = new EcsTaskDefinitions(new ECSClient({ region, credentials }), config, async () =>
      assert.fail('no lookup'),
    );
    await assert.rejects(defs.register({ ...worker, secrets: { X: 'local-name' } }), {
      name: 'ValidationError',
      field: 'secrets.X',
    });
    await assert.rejects(
      defs.register({
        ...worker,
        registryCredentials: 'arn:aws:ssm:eu-west-1:123456789012:parameter/runlater/creds',
      }),
      { name: 'ValidationError', field: 'registryCredentials' },
    );
    assert.equal(ecsMock.commandCalls(RegisterTaskDefinitionCommand).length, 0);
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
      .containerDefinitions![1]!;
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
  const stream = 'runlater/job/0123abcd';
  const query = { jobId, attempt: 1, taskId: taskArn, stream: 'all' as const, limit: 100 };

  it('names the stream as awslogs does: prefix, container, task id', () => {
    assert.equal(jobStreamName(taskArn), stream);
  });

  it('reads the stream named from the task id, through an empty page that carries a token', async () => {
    logsMock
      .on(GetLogEventsCommand)
      .resolvesOnce({ events: [], nextForwardToken: 'f/1' })
      .resolvesOnce({
        events: [
          { timestamp: 1763812800000, message: 'o hello' },
          { timestamp: 1763812800001, message: 'e oops' },
          { timestamp: 1763812800002, message: 'o ' },
        ],
        nextForwardToken: 'f/2',
      });
    const page = await reader().read(query);
    assert.deepEqual(
      logsMock.commandCalls(GetLogEventsCommand).map((c) => c.args[0].input),
      [
        { logGroupName: 'runlater-jobs', logStreamName: stream, startFromHead: true, limit: 100 },
        {
          logGroupName: 'runlater-jobs',
          logStreamName: stream,
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
        { stream: 'stdout', timestamp: '2025-11-22T12:00:00.002Z', text: '' },
      ],
      nextCursor: 'f/2',
    });
  });

  it('stops at the end (the token comes back unchanged) and keeps the cursor for following', async () => {
    logsMock.on(GetLogEventsCommand).resolves({ events: [], nextForwardToken: 'f/2' });
    const page = await reader().read({ ...query, cursor: 'f/2' });
    assert.deepEqual(page, { lines: [], nextCursor: 'f/2' });
    assert.deepEqual(
      logsMock.commandCalls(GetLogEventsCommand).map((c) => c.args[0].input),
      [
        {
          logGroupName: 'runlater-jobs',
          logStreamName: stream,
          startFromHead: true,
          limit: 100,
          nextToken: 'f/2',
        },
      ],
    );
  });

  it('gives up on a run of empty pages, keeping the last token as the cursor', async () => {
    let n = 0;
    logsMock.on(GetLogEventsCommand).callsFake(async () => ({ events: [], nextForwardToken: `f/${++n}` }));
    const page = await reader().read(query);
    assert.deepEqual(page, { lines: [], nextCursor: 'f/10' });
    assert.equal(logsMock.commandCalls(GetLogEventsCommand).length, 10);
  });

  it('keeps stdout and stderr apart by the tag the shim puts on each line', async () => {
    logsMock.on(GetLogEventsCommand).resolves({
      events: [
        { timestamp: 1, message: 'o a' },
        { timestamp: 2, message: 'e b' },
        { timestamp: 3, message: 'e o c' },
      ],
      nextForwardToken: 'f/9',
    });
    const page = await reader().read({ ...query, stream: 'stderr' });
    assert.deepEqual(
      page.lines.map((l) => l.text),
      ['b', 'o c'],
    );
  });

  it('reads a line without a tag (a shim that does not tag) whole, as stdout', async () => {
    logsMock.on(GetLogEventsCommand).resolves({
      events: [{ timestamp: 1, message: 'runlater shim: prog: not found on PATH (/bin)' }],
      nextForwardToken: 'f/1',
    });
    const page = await reader().read(query);
    assert.deepEqual(page.lines, [
      {
        stream: 'stdout',
        timestamp: '1970-01-01T00:00:00.001Z',
        text: 'runlater shim: prog: not found on PATH (/bin)',
      },
    ]);
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
