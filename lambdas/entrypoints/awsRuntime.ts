import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CloudWatchLogReader } from '../adapters/cloudwatch/CloudWatchLogReader.ts';
import { DynamoJobStore } from '../adapters/dynamodb/DynamoJobStore.ts';
import { DynamoScheduleStore } from '../adapters/dynamodb/DynamoScheduleStore.ts';
import { DynamoTokenStore } from '../adapters/dynamodb/DynamoTokenStore.ts';
import { DynamoWorkerStore } from '../adapters/dynamodb/DynamoWorkerStore.ts';
import { EcsTaskDefinitions } from '../adapters/ecs/EcsTaskDefinitions.ts';
import { EcsTaskLauncher } from '../adapters/ecs/EcsTaskLauncher.ts';
import { RegistryClient } from '../adapters/registry/RegistryClient.ts';
import { S3StdinStore } from '../adapters/s3/S3StdinStore.ts';
import { EventBridgeScheduleTrigger } from '../adapters/scheduler/EventBridgeScheduleTrigger.ts';
import { SchedulerDelayedQueue } from '../adapters/scheduler/SchedulerDelayedQueue.ts';
import { SqsDeliveryQueue } from '../adapters/sqs/SqsDeliveryQueue.ts';
import { SqsDispatchQueue } from '../adapters/sqs/SqsDispatchQueue.ts';
import { eventBridgeJobEvents } from '../adapters/eventbridge/EventBridgeJobEvents.ts';
import { systemClock } from '../core/ports.ts';
import type { Runtime } from '../handlers/runtime.ts';

/** The environment the CDK stack gives every runlater function (lib/RunLater.ts sets it). */
export const RUNTIME_ENV = [
  'WORKERS_TABLE',
  'JOBS_TABLE',
  'TOKENS_TABLE',
  'SCHEDULES_TABLE',
  'DISPATCH_QUEUE_URL',
  'DISPATCH_QUEUE_ARN',
  'STDIN_BUCKET',
  'CLUSTER_ARN',
  'SUBNETS',
  'SECURITY_GROUPS',
  'ASSIGN_PUBLIC_IP',
  'EXECUTION_ROLE_ARN',
  'SHIM_IMAGE',
  'JOB_LOG_GROUP',
  'SCHEDULER_GROUP',
  'SCHEDULER_ROLE_ARN',
  'SCHEDULE_FIRE_ARN',
  'JOB_RETENTION_DAYS',
] as const;

function required(env: NodeJS.ProcessEnv, name: (typeof RUNTIME_ENV)[number]): string {
  const value = env[name];
  if (!value) throw new Error(`runlater: environment variable ${name} is not set`);
  return value;
}

/** The Runtime on AWS: DynamoDB, SQS (and EventBridge Scheduler for long delays), ECS Fargate, S3, CloudWatch Logs. */
export function awsRuntime(env: NodeJS.ProcessEnv = process.env): Runtime {
  const get = (name: (typeof RUNTIME_ENV)[number]) => required(env, name);
  const region = env.AWS_REGION ?? 'us-east-1';
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const ecs = new ECSClient({ region });
  const scheduler = new SchedulerClient({ region });
  const stdin = new S3StdinStore(new S3Client({ region }), get('STDIN_BUCKET'));
  const ecr = new ECRClient({ region });
  const registry = new RegistryClient({
    // The account's own ECR registries need its credentials; public registries take anonymous tokens.
    basicAuth: async (host) => {
      if (!/\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com$/.test(host)) return undefined;
      const out = await ecr.send(new GetAuthorizationTokenCommand({}));
      return out.authorizationData?.[0]?.authorizationToken;
    },
  });
  const taskDefinitions = new EcsTaskDefinitions(
    ecs,
    {
      executionRoleArn: get('EXECUTION_ROLE_ARN'),
      shimImage: get('SHIM_IMAGE'),
      logGroupName: get('JOB_LOG_GROUP'),
      region,
    },
    (image) => registry.imageCommand(image),
  );
  const schedulerRole = get('SCHEDULER_ROLE_ARN');
  const groupName = get('SCHEDULER_GROUP');
  return {
    jobs: new DynamoJobStore(doc, get('JOBS_TABLE'), {
      retentionSeconds: Math.round(Number(get('JOB_RETENTION_DAYS')) * 86400),
    }),
    workers: new DynamoWorkerStore(doc, get('WORKERS_TABLE')),
    tokens: new DynamoTokenStore(doc, get('TOKENS_TABLE')),
    schedules: new DynamoScheduleStore(doc, get('SCHEDULES_TABLE')),
    queue: new SchedulerDelayedQueue(
      new SqsDispatchQueue(new SQSClient({ region }), get('DISPATCH_QUEUE_URL')),
      scheduler,
      {
        groupName,
        queueArn: get('DISPATCH_QUEUE_ARN'),
        roleArn: schedulerRole,
      },
    ),
    scheduleTrigger: new EventBridgeScheduleTrigger(scheduler, {
      groupName,
      targetArn: get('SCHEDULE_FIRE_ARN'),
      roleArn: schedulerRole,
    }),
    stdin,
    launcher: new EcsTaskLauncher(ecs, stdin, {
      cluster: get('CLUSTER_ARN'),
      subnets: get('SUBNETS').split(','),
      securityGroups: get('SECURITY_GROUPS').split(','),
      assignPublicIp: get('ASSIGN_PUBLIC_IP') === 'true',
    }),
    logs: new CloudWatchLogReader(new CloudWatchLogsClient({ region }), get('JOB_LOG_GROUP')),
    clock: systemClock,
    onWorkerChanged: taskDefinitions.register,
    // Set by the stack on every function that changes jobs (lib/RunLaterNotifications.ts).
    ...(env.DELIVERY_QUEUE_URL
      ? { deliveryQueue: new SqsDeliveryQueue(new SQSClient({ region }), env.DELIVERY_QUEUE_URL) }
      : {}),
    ...(env.EVENT_BUS_NAME
      ? { events: eventBridgeJobEvents(new EventBridgeClient({ region }), env.EVENT_BUS_NAME) }
      : {}),
  };
}
