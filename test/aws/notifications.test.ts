import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { RegisterTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import type { Context, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { hashToken } from '../../lambdas/core/tokens.ts';
import { apiRuntime, webhookDeliveryRuntime } from '../../lambdas/entrypoints/runtimes.ts';
import { makeWebhookDeliveryHandler } from '../../lambdas/handlers/webhookDelivery.ts';
import { makeApiHandler } from '../../lambdas/handlers/api.ts';
import type { ApiEvent } from '../../lambdas/handlers/http/types.ts';
import { RunLater } from '../../lib/RunLater.ts';
import { RunLaterStack } from '../../lib/RunLaterStack.ts';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../local/embeddedDynamo.ts';

const sqs = mockClient(SQSClient);
const eventBridge = mockClient(EventBridgeClient);
const ecs = mockClient(ECSClient);
mockClient(SchedulerClient);
const DELIVERY_QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/deliveries';
const TOKEN = 'rl_notify';
const ctx = {} as Context;

describe('notifications in the CDK stack', () => {
  const synth = (props: ConstructorParameters<typeof RunLater>[2] = {}) => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'S');
    new RunLater(stack, 'RunLater', props);
    return Template.fromStack(stack);
  };
  let template: Template;
  before(() => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    template = Template.fromStack(new RunLaterStack(app, 'RunLater'));
  });

  it('feeds the webhook delivery function from its own queue, with a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: Match.stringLikeRegexp('WebhookDeliveryFunction') },
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('NotificationsDeliveryQueue'), 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: {
        deadLetterTargetArn: {
          'Fn::GetAtt': [Match.stringLikeRegexp('NotificationsDeliveryDeadLetterQueue'), 'Arn'],
        },
        maxReceiveCount: 20,
      },
    });
  });

  it('sends webhooks from the delivery function only, https only and no private targets by default', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'runlater: delivers signed webhooks from its queue',
      Environment: { Variables: Match.objectLike({ WEBHOOK_ALLOW_PRIVATE: 'false' }) },
    });
    synth({ allowPrivateWebhookTargets: true }).hasResourceProperties('AWS::Lambda::Function', {
      Description: 'runlater: delivers signed webhooks from its queue',
      Environment: { Variables: Match.objectLike({ WEBHOOK_ALLOW_PRIVATE: 'true' }) },
    });
  });

  it('lets every function that changes jobs queue deliveries and put events on the default bus', () => {
    const writers = template.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: { EVENT_BUS_NAME: 'default' } } },
    });
    assert.equal(Object.keys(writers).length, 5);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'events:PutEvents',
            Resource: {
              'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':event-bus/default$')])],
            },
          }),
        ]),
      },
    });
  });

  it("puts events on a bus of the user's choosing when given", () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'S');
    const bus = new events.EventBus(stack, 'Bus', { eventBusName: 'jobs' });
    new RunLater(stack, 'RunLater', { eventBus: bus });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ EVENT_BUS_NAME: { Ref: Match.stringLikeRegexp('^Bus') } }),
      },
    });
  });

  it('lists jobs with a pending delivery by a sparse index', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: Match.arrayWith([
        Match.objectLike({
          IndexName: 'byDeliveryDue',
          KeySchema: [
            { AttributeName: 'deliveryDue', KeyType: 'HASH' },
            { AttributeName: 'id', KeyType: 'RANGE' },
          ],
        }),
      ]),
    });
  });
});

describe('notifications, handler to AWS call (dynalite, mocked SQS and EventBridge)', () => {
  let dynamo: EmbeddedDynamo;
  let api: ReturnType<typeof makeApiHandler>;
  let env: Record<string, string>;

  before(async () => {
    dynamo = await startEmbeddedDynamo(undefined);
    env = {
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      WORKERS_TABLE: dynamo.tableNames.workers,
      JOBS_TABLE: dynamo.tableNames.jobs,
      TOKENS_TABLE: dynamo.tableNames.tokens,
      SCHEDULES_TABLE: dynamo.tableNames.schedules,
      DISPATCH_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/dispatch',
      DISPATCH_QUEUE_ARN: 'arn:aws:sqs:eu-west-1:123456789012:dispatch',
      STDIN_BUCKET: 'stdin-bucket',
      CLUSTER_ARN: 'arn:aws:ecs:eu-west-1:123456789012:cluster/runlater',
      SUBNETS: 'subnet-a',
      SECURITY_GROUPS: 'sg-1',
      ASSIGN_PUBLIC_IP: 'true',
      EXECUTION_ROLE_ARN: 'arn:aws:iam::123456789012:role/exec',
      SHIM_IMAGE: 'shim:latest',
      TASK_FAMILY_PREFIX: 'RunLater_',
      JOB_LOG_GROUP: 'jobs',
      SCHEDULER_GROUP: 'runlater',
      SCHEDULER_ROLE_ARN: 'arn:aws:iam::123456789012:role/scheduler',
      SCHEDULE_FIRE_ARN: 'arn:aws:lambda:eu-west-1:123456789012:function:fire',
      JOB_RETENTION_DAYS: '30',
      DELIVERY_QUEUE_URL: DELIVERY_QUEUE,
      EVENT_BUS_NAME: 'default',
      POWERTOOLS_METRICS_DISABLED: 'true',
    };
    Object.assign(process.env, env);
    const runtime = apiRuntime({ ...process.env, ...env });
    await runtime.tokens.put({
      hash: hashToken(TOKEN),
      name: 'test',
      scopes: ['admin'],
      createdAt: new Date().toISOString(),
    });
    api = makeApiHandler(runtime);
    ecs.on(RegisterTaskDefinitionCommand).resolves({});
  });
  after(() => dynamo.close());
  beforeEach(() => {
    sqs.reset();
    eventBridge.reset();
    sqs.on(SendMessageCommand).resolves({});
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
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

  it('puts each state change on the bus as "Job State Change" from runlater, the job in detail', async () => {
    const w = await call('POST', '/v1/workers', { name: 'ev', image: 'busybox:1.36', command: ['true'] });
    assert.equal(w.status, 201, JSON.stringify(w.body));
    const { body: job } = await call('POST', '/v1/jobs', { worker: 'ev' });
    const { body: cancelled } = await call('POST', `/v1/jobs/${job.id}/cancel`);
    const puts = eventBridge.commandCalls(PutEventsCommand).map((c) => c.args[0].input);
    assert.deepEqual(puts, [
      {
        Entries: [
          {
            EventBusName: 'default',
            Source: 'runlater',
            DetailType: 'Job State Change',
            Resources: [],
            Detail: JSON.stringify({ transition: 'create', previousStatus: 'queued', job }),
          },
        ],
      },
      {
        Entries: [
          {
            EventBusName: 'default',
            Source: 'runlater',
            DetailType: 'Job State Change',
            Resources: [],
            Detail: JSON.stringify({ transition: 'finish', previousStatus: 'queued', job: cancelled }),
          },
        ],
      },
    ]);
  });

  it('queues a delivery on the delivery queue when a job with notify ends, never sending it inline', async () => {
    await call('POST', '/v1/workers', {
      name: 'hooked',
      image: 'busybox:1.36',
      command: ['true'],
      notify: { url: 'http://127.0.0.1:9/hook' },
    });
    const { body: job } = await call('POST', '/v1/jobs', { worker: 'hooked' });
    sqs.reset();
    sqs.on(SendMessageCommand).resolves({});
    await call('POST', `/v1/jobs/${job.id}/cancel`);
    const sent = sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
    const deliveryId = `msg_${job.id}_job.finished`;
    assert.deepEqual(sent, [
      {
        QueueUrl: DELIVERY_QUEUE,
        MessageBody: JSON.stringify({ jobId: job.id, deliveryId }),
        DelaySeconds: 0,
      },
    ]);

    // The delivery function, as AWS wires it, refuses http (and loopback) there: failed, not retried.
    sqs.reset();
    const deliver = makeWebhookDeliveryHandler(
      webhookDeliveryRuntime({ ...process.env, ...env, WEBHOOK_ALLOW_PRIVATE: 'false' }),
    );
    const event: SQSEvent = {
      Records: [
        {
          messageId: 'm1',
          receiptHandle: 'r',
          body: sent[0]!.MessageBody!,
          attributes: {} as SQSEvent['Records'][0]['attributes'],
          messageAttributes: {},
          md5OfBody: '',
          eventSource: 'aws:sqs',
          eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:deliveries',
          awsRegion: 'eu-west-1',
        },
      ],
    };
    assert.deepEqual(await deliver(event), { batchItemFailures: [] });
    assert.equal(sqs.commandCalls(SendMessageCommand).length, 0, 'no retry queued');
    const { body } = await call('GET', `/v1/jobs/${job.id}/deliveries`);
    assert.equal(body.deliveries[0].status, 'failed');
    assert.match(body.deliveries[0].attempts[0].error, /http: URLs are not allowed here/);
  });
});
