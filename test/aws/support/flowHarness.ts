import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { ECRClient } from '@aws-sdk/client-ecr';
import {
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { taskStateChangeEvent } from '../../support/ecsEvents.ts';
import { TABLES, TABLE_ENV } from '../../../lambdas/adapters/dynamodb/tables.ts';
import { startedByFor } from '../../../lambdas/core/taskSpec.ts';
import { hashToken } from '../../../lambdas/core/tokens.ts';
import { FUNCTION_NAMES, type FunctionName } from '../../../lambdas/entrypoints/functionEnv.ts';
import { makeJobEventsHandler } from '../../../lambdas/handlers/jobEvents.ts';
import { makeApiHandler } from '../../../lambdas/handlers/api.ts';
import { makeDispatcherHandler } from '../../../lambdas/handlers/dispatcher.ts';
import type { ApiEvent } from '../../../lambdas/handlers/http/types.ts';
import { makeReconcilerHandler } from '../../../lambdas/handlers/reconciler.ts';
import { makeScheduleFireHandler, type ScheduleFireEvent } from '../../../lambdas/handlers/scheduleFire.ts';
import { makeTaskStatusHandler } from '../../../lambdas/handlers/taskStatus.ts';
import { makeWebhookDeliveryHandler } from '../../../lambdas/handlers/webhookDelivery.ts';
import { ensureTable, startEmbeddedDynamo, type EmbeddedDynamo } from '../../../local/embeddedDynamo.ts';
import { AwsCallRecorder, simulate, type IamRequest } from './awsCalls.ts';
import { apiEvent } from './handWired.ts';
import { RUNTIME_FACTORIES as R } from './runtimeFactories.ts';
import { TableStream } from './tableStream.ts';
import { ACCOUNT, REGION, SynthesizedStack } from './synthesized.ts';

export const mocks = {
  ecs: mockClient(ECSClient),
  s3: mockClient(S3Client),
  sqs: mockClient(SQSClient),
  scheduler: mockClient(SchedulerClient),
  ecr: mockClient(ECRClient),
  logs: mockClient(CloudWatchLogsClient),
  events: mockClient(EventBridgeClient),
};
const MOCKED = [
  ECSClient,
  S3Client,
  SQSClient,
  SchedulerClient,
  ECRClient,
  CloudWatchLogsClient,
  EventBridgeClient,
];
export const recorder = new AwsCallRecorder();
// DynamoDB is dynalite, for real: its calls are recorded around the document client's own send.
Object.defineProperty(DynamoDBDocumentClient.prototype, 'send', {
  value: Object.getPrototypeOf(DynamoDBDocumentClient.prototype).send,
  writable: true,
});
recorder.instrument(DynamoDBDocumentClient as never);

const TOKEN = 'rl_test';
const ctx = {} as Context;
/** The account's own ECR registry. */
export const ECR_HOST = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;

/**
 * The handlers as AWS runs them: each built by its own entry point's runtime factory from exactly
 * the environment the synthesized template gives that function (references as placeholder names
 * and ARNs), DynamoDB served by dynalite under the template's table names, every other AWS call
 * mocked. Every call is recorded per function, to be held against that function's synthesized
 * IAM policies (iamVerdicts).
 */
export class AwsFlows {
  stack!: SynthesizedStack;
  env!: Record<FunctionName, Record<string, string>>;
  /** The dispatcher's EMF metrics: name and dimensions. */
  dispatchMetrics: { name: string; dimensions: Record<string, string> }[] = [];
  /** Paths the fake ECR registry was asked for. */
  registryGets: string[] = [];
  private dynamo!: EmbeddedDynamo;
  private api!: ReturnType<typeof makeApiHandler>;
  private dispatch!: ReturnType<typeof makeDispatcherHandler>;
  private status!: ReturnType<typeof makeTaskStatusHandler>;
  private reconcile!: ReturnType<typeof makeReconcilerHandler>;
  private fire!: ReturnType<typeof makeScheduleFireHandler>;
  private deliver!: ReturnType<typeof makeWebhookDeliveryHandler>;
  private publish!: ReturnType<typeof makeJobEventsHandler>;
  /** The jobs table's stream, as the jobEvents function is fed from it. */
  private stream!: TableStream;
  private detachStream = () => {};
  private readonly registered = new Map<string, object>();
  private readonly realFetch = globalThis.fetch;

  get cluster(): string {
    return this.env.dispatcher.CLUSTER_ARN!;
  }
  get queueUrl(): string {
    return this.env.dispatcher.DISPATCH_QUEUE_URL!;
  }

  async start(): Promise<void> {
    this.stack = SynthesizedStack.synth();
    this.env = Object.fromEntries(
      FUNCTION_NAMES.map((f) => [f, this.stack.functionEnv(f)]),
    ) as typeof this.env;
    this.dynamo = await startEmbeddedDynamo(undefined);
    for (const def of Object.values(TABLES))
      await ensureTable(this.dynamo.client, this.env.api[TABLE_ENV[def.name]]!, def);
    // What Lambda gives every function, and the SDK reads on its own.
    Object.assign(process.env, {
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_ENDPOINT_URL_DYNAMODB: this.dynamo.endpoint,
    });
    globalThis.fetch = this.fakeEcr as typeof fetch;
    const source = (f: FunctionName) => ({ ...this.env[f], AWS_REGION: REGION });
    const runtime = R.api(source('api'));
    this.api = makeApiHandler(runtime);
    const metricsSink = {
      singleMetric: () => {
        const dimensions: Record<string, string> = {};
        return {
          addDimension: (key: string, value: string) => void (dimensions[key] = value),
          addMetric: (name: string) => void this.dispatchMetrics.push({ name, dimensions }),
        };
      },
    } as unknown as Parameters<typeof makeDispatcherHandler>[2];
    this.dispatch = makeDispatcherHandler(R.dispatcher(source('dispatcher')), undefined, metricsSink);
    this.status = makeTaskStatusHandler(R.taskStatus(source('taskStatus')));
    this.reconcile = makeReconcilerHandler(R.reconciler(source('reconciler')));
    this.fire = makeScheduleFireHandler(R.scheduleFire(source('scheduleFire')));
    this.deliver = makeWebhookDeliveryHandler(R.webhookDelivery(source('webhookDelivery')));
    this.publish = makeJobEventsHandler(R.jobEvents(source('jobEvents')));
    this.stream = new TableStream(this.env.api.JOBS_TABLE!, this.dynamo.endpoint, REGION, ACCOUNT);
    this.detachStream = this.stream.attach();
    await runtime.tokens.put({
      hash: hashToken(TOKEN),
      name: 'test',
      scopes: ['admin'],
      createdAt: new Date().toISOString(),
    });
    this.freshMocks();
  }

  async close(): Promise<void> {
    this.detachStream();
    globalThis.fetch = this.realFetch;
    await this.dynamo.close();
  }

  /** Mocks with no behaviour but ECS's task definition bookkeeping, and recording around them. */
  freshMocks(): void {
    // reset() stubs each client anew: record around the new stubs.
    for (const m of Object.values(mocks)) m.reset();
    recorder.instrument(...MOCKED);
    mocks.events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
    this.registryGets = [];
    this.dispatchMetrics = [];
    // ECS as it stands: what was registered is what DescribeTaskDefinition answers.
    mocks.ecs
      .on(RegisterTaskDefinitionCommand)
      .callsFake(async (input: RegisterTaskDefinitionCommandInput) => {
        const taskDefinitionArn = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${input.family}:1`;
        this.registered.set(input.family!, {
          taskDefinition: { ...input, taskDefinitionArn },
          tags: input.tags,
        });
        return { taskDefinition: { taskDefinitionArn } };
      });
    mocks.ecs.on(ListTaskDefinitionsCommand).resolves({ taskDefinitionArns: [] });
    mocks.ecs
      .on(DescribeTaskDefinitionCommand)
      .callsFake(async (input: { taskDefinition: string }) => this.registered.get(input.taskDefinition));
  }

  /** The account's own ECR, as RegistryClient reaches it with the token from GetAuthorizationToken. */
  private fakeEcr = async (url: string | URL, init?: RequestInit): Promise<Response> => {
    const u = new URL(String(url));
    if (u.hostname !== ECR_HOST) return this.realFetch(url, init);
    const auth = new Headers(init?.headers).get('authorization');
    if (auth !== `Basic ${Buffer.from('AWS:pw').toString('base64')}`)
      return new Response('', { status: 401 });
    const repo = u.pathname.split('/')[2]!;
    this.registryGets.push(u.pathname);
    const repoArn = `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${repo}`;
    if (u.pathname.includes('/manifests/')) {
      recorder.note({ action: 'ecr:BatchGetImage', resource: repoArn, context: {} });
      return Response.json({
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { digest: 'sha256:c' },
      });
    }
    recorder.note({ action: 'ecr:GetDownloadUrlForLayer', resource: repoArn, context: {} });
    return Response.json({ config: { Entrypoint: ['/app'], Cmd: ['--serve'] } });
  };

  taskArnOf(id: string): string {
    return `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${this.cluster.split('/').pop()}/${id}`;
  }

  dispatcher(event: SQSEvent) {
    return recorder.as('dispatcher', () => this.dispatch(event));
  }
  taskStatus(event: Parameters<ReturnType<typeof makeTaskStatusHandler>>[0]) {
    return recorder.as('taskStatus', () => this.status(event));
  }
  reconcileNow() {
    return recorder.as('reconciler', () => this.reconcile());
  }
  scheduleFire(event: ScheduleFireEvent) {
    return recorder.as('scheduleFire', () => this.fire(event));
  }
  webhookDelivery(event: SQSEvent) {
    return recorder.as('webhookDelivery', () => this.deliver(event));
  }
  /** Feeds the jobEvents function what the jobs table's stream holds since the last call. */
  jobEvents() {
    const event = this.stream.take();
    // What Lambda's event source mapping does with the function's role to read the stream.
    const streamArn = event.Records[0]?.eventSourceARN;
    if (streamArn)
      for (const action of ['DescribeStream', 'GetShardIterator', 'GetRecords'])
        recorder.note({ action: `dynamodb:${action}`, resource: streamArn, context: {} }, 'jobEvents');
    return recorder.as('jobEvents', () => this.publish(event));
  }

  apiEvent(method: string, target: string, body?: unknown): ApiEvent {
    return apiEvent(TOKEN, method, target, body);
  }

  apiRaw(event: ApiEvent, context: Context = ctx) {
    return recorder.as('api', () => this.api(event, context));
  }

  /** `context` stands for Lambda's (its remaining time, for long-polls). */
  async call(method: string, path: string, body?: unknown, context?: Context) {
    const res = await this.apiRaw(this.apiEvent(method, path, body), context);
    return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined };
  }

  /** Queues a job through the API and checks the dispatch message it sent. */
  async queuedJob(body: Record<string, unknown> = {}, worker = 'w'): Promise<string> {
    mocks.sqs.on(SendMessageCommand).resolves({});
    mocks.s3.on(PutObjectCommand).resolves({});
    const res = await this.call('POST', '/v1/jobs', { worker, ...body });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const sent = mocks.sqs.commandCalls(SendMessageCommand).at(-1)!.args[0].input;
    assert.deepEqual(sent, {
      QueueUrl: this.queueUrl,
      MessageBody: JSON.stringify({ jobId: res.body.id, attempt: 1 }),
      DelaySeconds: 0,
    });
    return res.body.id as string;
  }

  sqsEvent(jobId: string, messageId = 'm1'): SQSEvent {
    return {
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
          awsRegion: REGION,
        },
      ],
    };
  }

  taskEvent(jobId: string, lastStatus: 'RUNNING' | 'STOPPED', extra: Record<string, unknown> = {}) {
    return taskStateChangeEvent({
      taskId: this.taskArnOf(jobId),
      startedBy: startedByFor(jobId, 1),
      lastStatus,
      startedAt: '2026-11-22T12:00:00.000Z',
      ...(lastStatus === 'STOPPED' ? { stoppedAt: '2026-11-22T12:00:05.000Z' } : {}),
      ...extra,
    });
  }

  /**
   * Every distinct recorded request, evaluated by the IAM simulator against its role's synthesized
   * policies. `who` is a function, or `executionRole` / `schedulerRole` for what ECS and the
   * Scheduler do with those roles.
   */
  async iamVerdicts(): Promise<{ who: string; request: IamRequest; result: string }[]> {
    const seen = new Map<string, IamRequest>();
    for (const r of recorder.requests) seen.set(JSON.stringify([r.who, r.action, r.resource, r.context]), r);
    const out = [];
    for (const request of seen.values())
      out.push({ who: this.roleName(request.who), request, result: await simulate(this.stack, request) });
    return out;
  }

  private roleName(who: string): string {
    if (!who.startsWith('role:')) return who;
    const arn = who.slice(5);
    if (arn === this.env.dispatcher.EXECUTION_ROLE_ARN) return 'executionRole';
    if (arn === this.env.api.SCHEDULER_ROLE_ARN) return 'schedulerRole';
    return arn;
  }
}

/**
 * Registers, in the calling `describe`, an AwsFlows started before its tests with a worker `w`
 * (busybox, `cat`) and closed after them.
 * @example const flows = startedFlows();
 */
export function startedFlows(): AwsFlows {
  const flows = new AwsFlows();
  before(async () => {
    await flows.start();
    const worker = { name: 'w', image: 'busybox:1.36', command: ['cat'] };
    assert.equal((await flows.call('POST', '/v1/workers', worker)).status, 201);
  });
  after(() => flows.close());
  return flows;
}
