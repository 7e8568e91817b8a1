import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { RegisterTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { hashToken } from '../../lambdas/core/tokens.ts';
import { apiRuntime, jobEventsRuntime, webhookDeliveryRuntime } from '../../lambdas/entrypoints/runtimes.ts';
import { makeJobEventsHandler } from '../../lambdas/handlers/jobEvents.ts';
import { makeWebhookDeliveryHandler } from '../../lambdas/handlers/webhookDelivery.ts';
import { makeApiHandler } from '../../lambdas/handlers/api.ts';
import { RunLater } from '../../lib/RunLater.ts';
import { RunLaterStack } from '../../lib/RunLaterStack.ts';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../local/embeddedDynamo.ts';
import { apiCaller, DELIVERY_QUEUE, handWiredEnv } from './support/handWired.ts';
import { TableStream } from './support/tableStream.ts';

const sqs = mockClient(SQSClient);
const eventBridge = mockClient(EventBridgeClient);
const ecs = mockClient(ECSClient);
mockClient(SchedulerClient);
const TOKEN = 'rl_notify';

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

  it("makes job events from the jobs table's stream, by one function, the only one that may put events", () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: Match.arrayWith([Match.objectLike({ IndexName: 'byDeliveryDue' })]),
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: Match.stringLikeRegexp('JobEventsFunction') },
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('JobsTable'), 'StreamArn'] },
      StartingPosition: 'TRIM_HORIZON',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRecordAgeInSeconds: 86400,
      DestinationConfig: {
        OnFailure: {
          Destination: {
            'Fn::GetAtt': [Match.stringLikeRegexp('NotificationsJobEventsDeadLetterQueue'), 'Arn'],
          },
        },
      },
      FilterCriteria: {
        Filters: [
          { Pattern: JSON.stringify({ dynamodb: { NewImage: { kind: { S: ['job'] } } } }) },
          {
            Pattern: JSON.stringify({
              eventName: ['REMOVE'],
              dynamodb: { OldImage: { kind: { S: ['job'] } } },
            }),
          },
        ],
      },
    });
    const withBus = template.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: { EVENT_BUS_NAME: 'default' } } },
    });
    assert.deepEqual(
      Object.keys(withBus).map((id) => id.replace(/[0-9A-F]{8}$/, '')),
      ['RunLaterJobEventsFunction'],
    );
    // events:PutEvents on the default bus, in the events function's policy and no other.
    const putters = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([, p]) =>
      JSON.stringify(p.Properties.PolicyDocument).includes('events:PutEvents'),
    );
    assert.deepEqual(
      putters.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')),
      ['RunLaterJobEventsRoleDefaultPolicy'],
    );
    assert.match(JSON.stringify(putters[0]![1].Properties.PolicyDocument), /:event-bus\/default"/);
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
  let call: ReturnType<typeof apiCaller>;
  let env: Record<string, string>;
  let publish: ReturnType<typeof makeJobEventsHandler>;
  let stream: TableStream;
  let detach: () => void;

  before(async () => {
    dynamo = await startEmbeddedDynamo(undefined);
    env = handWiredEnv(dynamo);
    const runtime = apiRuntime(env);
    await runtime.tokens.put({
      hash: hashToken(TOKEN),
      name: 'test',
      scopes: ['admin'],
      createdAt: new Date().toISOString(),
    });
    call = apiCaller(makeApiHandler(runtime), TOKEN);
    publish = makeJobEventsHandler(jobEventsRuntime(env));
    stream = new TableStream(dynamo.tableNames.jobs, dynamo.endpoint, 'eu-west-1');
    detach = stream.attach();
    ecs.on(RegisterTaskDefinitionCommand).resolves({});
  });
  after(() => {
    detach();
    return dynamo.close();
  });
  beforeEach(() => {
    sqs.reset();
    eventBridge.reset();
    sqs.on(SendMessageCommand).resolves({});
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
  });

  it('puts each state change on the bus as "Job State Change" from runlater, from the table\'s stream', async () => {
    const w = await call('POST', '/v1/workers', { name: 'ev', image: 'busybox:1.36', command: ['true'] });
    assert.equal(w.status, 201, JSON.stringify(w.body));
    stream.take();
    const { body: job } = await call('POST', '/v1/jobs', { worker: 'ev' });
    const { body: cancelled } = await call('POST', `/v1/jobs/${job.id}/cancel`);
    assert.equal((await call('DELETE', `/v1/jobs/${job.id}`)).status, 204);
    assert.equal(eventBridge.commandCalls(PutEventsCommand).length, 0, 'nothing is put in the API call');

    assert.deepEqual(await publish(stream.take()), { batchItemFailures: [] });
    const entries = eventBridge.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries!);
    assert.deepEqual(
      entries.map(({ Detail, ...rest }) => ({
        ...rest,
        Detail: { ...JSON.parse(Detail!), transitionId: 'id' },
      })),
      [
        { transition: 'create', previousStatus: 'queued', transitionId: 'id', job },
        { transition: 'finish', previousStatus: 'queued', transitionId: 'id', job: cancelled },
        { transition: 'remove', previousStatus: 'cancelled', transitionId: 'id', job: cancelled },
      ].map((Detail) => ({
        EventBusName: 'default',
        Source: 'runlater',
        DetailType: 'Job State Change',
        Resources: [],
        Detail,
      })),
    );
    const ids = entries.map((e) => JSON.parse(e.Detail!).transitionId);
    assert.equal(new Set(ids.slice(0, 2)).size, 2, 'each written transition has its own id');
  });

  it('publishes no event for writes that are not transitions: other items, a delivery result, TTL expiry', async () => {
    await call('POST', '/v1/workers', { name: 'quiet', image: 'busybox:1.36', command: ['true'] });
    stream.take();
    await call('POST', '/v1/jobs', { worker: 'quiet' });
    const records = stream.take().Records;
    assert.equal(records.length, 1);
    const asTtl = {
      ...records[0]!,
      eventName: 'REMOVE' as const,
      userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
      dynamodb: { ...records[0]!.dynamodb, OldImage: records[0]!.dynamodb!.NewImage, NewImage: undefined },
    };
    const claim = {
      ...records[0]!,
      dynamodb: {
        ...records[0]!.dynamodb,
        // An idempotency claim or a worker's concurrency slots: items of the jobs table with no `kind`.
        NewImage: { id: { S: 'concurrency#quiet' }, holders: { L: [] } },
      },
    };
    const sameStamp = {
      ...records[0]!,
      eventName: 'MODIFY' as const,
      dynamodb: { ...records[0]!.dynamodb, OldImage: records[0]!.dynamodb!.NewImage },
    };
    assert.deepEqual(await publish({ Records: [asTtl, claim, sameStamp] }), { batchItemFailures: [] });
    assert.equal(eventBridge.commandCalls(PutEventsCommand).length, 0);
  });

  it('retries from the first event the bus refused, so none is lost and none overtakes another', async () => {
    await call('POST', '/v1/workers', { name: 'busy', image: 'busybox:1.36', command: ['true'] });
    stream.take();
    const jobs = [];
    for (let i = 0; i < 3; i++) jobs.push((await call('POST', '/v1/jobs', { worker: 'busy' })).body.id);
    const event = stream.take();
    assert.equal(event.Records.length, 3);
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [
          { EventId: 'e1' },
          { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' },
          { EventId: 'e3' },
        ],
      })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }, { EventId: 'e' }] });
    const answer = await publish(event);
    assert.deepEqual(answer, {
      batchItemFailures: [{ itemIdentifier: event.Records[1]!.dynamodb!.SequenceNumber }],
    });
    // Lambda resumes the stream at the reported record: the rest come again, in order.
    const resumed = { Records: event.Records.slice(1) };
    assert.deepEqual(await publish(resumed), { batchItemFailures: [] });
    const jobIds = eventBridge
      .commandCalls(PutEventsCommand)
      .flatMap((c) => c.args[0].input.Entries!)
      .map((e) => JSON.parse(e.Detail!).job.id);
    assert.deepEqual(jobIds, [jobs[0], jobs[1], jobs[2], jobs[1], jobs[2]]);
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
      webhookDeliveryRuntime({ ...env, WEBHOOK_ALLOW_PRIVATE: 'false' }),
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
