import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface RunLaterNotificationsProps {
  /** Where job state changes go. Default: the account's default event bus. */
  readonly eventBus?: events.IEventBus;
}

/** The functions the queue and the bus serve (their env is set where they are built: functionEnv.ts). */
export interface NotifiedFunctions {
  /** The functions that change jobs: each may queue webhook deliveries. */
  readonly jobWriters: NodejsFunction[];
  /** The function that sends webhooks, fed by the delivery queue. */
  readonly webhookDelivery: NodejsFunction;
  /** The function that puts job events on the bus, fed by the jobs table's stream. */
  readonly jobEvents: NodejsFunction;
  readonly jobs: dynamodb.ITable;
  readonly workers: dynamodb.ITable;
}

/**
 * What tells the world about jobs: webhook deliveries through their own queue and function (never
 * sent in the path that records a job's state), and every job state change on an event bus as
 * `source: runlater`, `detail-type: Job State Change`, made from the jobs table's stream (the
 * outbox: no event is lost to a crash after its transition was written).
 */
export class RunLaterNotifications extends Construct {
  readonly deliveryQueue: sqs.Queue;
  readonly deliveryDeadLetterQueue: sqs.Queue;
  /** Where the stream's records that could not be put on the bus for a day are noted (their positions, not their data). */
  readonly jobEventsDeadLetterQueue: sqs.Queue;
  readonly eventBus: events.IEventBus;

  constructor(scope: Construct, id: string, props: RunLaterNotificationsProps) {
    super(scope, id);
    this.deliveryDeadLetterQueue = new sqs.Queue(this, 'DeliveryDeadLetterQueue', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.deliveryQueue = new sqs.Queue(this, 'DeliveryQueue', {
      // The delivery function waits at most 10 s per receiver, 10 records a batch: six times its timeout.
      visibilityTimeout: Duration.seconds(6 * 120),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // A receiver's failure is not a message failure (it is recorded and retried with backoff):
      // only a function that cannot reach the job table fails a message.
      deadLetterQueue: { queue: this.deliveryDeadLetterQueue, maxReceiveCount: 20 },
    });
    this.jobEventsDeadLetterQueue = new sqs.Queue(this, 'JobEventsDeadLetterQueue', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.eventBus = props.eventBus ?? events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');
  }

  /** Lets the job writers queue deliveries, feeds the delivery function, and the events function from the stream. */
  connect(props: NotifiedFunctions): void {
    const { webhookDelivery, jobEvents } = props;
    for (const f of [...props.jobWriters, webhookDelivery]) this.deliveryQueue.grantSendMessages(f);
    this.eventBus.grantPutEventsTo(jobEvents);
    jobEvents.addEventSource(
      new DynamoEventSource(props.jobs, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(1),
        // The handler names the first record the bus refused; the stream resumes there, in order.
        reportBatchItemFailures: true,
        bisectBatchOnError: true,
        // A stream keeps records for 24 hours: retry for as long, then note the lost range.
        retryAttempts: 10_000,
        maxRecordAge: Duration.hours(24),
        onFailure: new SqsDlq(this.jobEventsDeadLetterQueue),
        // Only jobs: the table also holds idempotency claims and concurrency slots.
        filters: [
          lambda.FilterCriteria.filter({
            dynamodb: { NewImage: { kind: { S: lambda.FilterRule.isEqual('job') } } },
          }),
          lambda.FilterCriteria.filter({
            eventName: lambda.FilterRule.isEqual('REMOVE'),
            dynamodb: { OldImage: { kind: { S: lambda.FilterRule.isEqual('job') } } },
          }),
        ],
      }),
    );
    props.jobs.grantReadWriteData(webhookDelivery);
    props.workers.grantReadData(webhookDelivery);
    webhookDelivery.addEventSource(
      new SqsEventSource(this.deliveryQueue, { batchSize: 10, reportBatchItemFailures: true }),
    );
  }
}
