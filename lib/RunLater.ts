import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { DockerImageAsset, Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { TABLES } from '../lambdas/adapters/dynamodb/tables.ts';
import {
  FUNCTION_ENV,
  FUNCTION_NAMES,
  type EnvVar,
  type FunctionName,
} from '../lambdas/entrypoints/functionEnv.ts';
import { stageShimImageContext } from './shimImage.ts';
import { RunLaterAlarms } from './RunLaterAlarms.ts';
import { RunLaterDashboard } from './RunLaterDashboard.ts';
import { acknowledgeNagFindings } from './nagAcknowledgements.ts';
import { consoleBundlingHooks, routeConsole } from './webConsole.ts';
import { RunLaterNotifications } from './RunLaterNotifications.ts';
import { grantLeastPrivilege } from './grants.ts';
import { redocScriptPath } from '../lambdas/handlers/docsPage.ts';
import { OPENAPI_FILE } from '../lambdas/entrypoints/bundledOpenApi.ts';
import { openApiAssetFile } from './openApiAsset.ts';
import { bundleAliasArgs } from './bundleAliases.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const apiBundlingHooks = {
  ...consoleBundlingHooks,
  afterBundling: (input: string, output: string) => [
    ...consoleBundlingHooks.afterBundling(input, output),
    // GET /docs serves Redoc's script from beside the handler (lambdas/handlers/docsPage.ts).
    `cp "${redocScriptPath()}" "${output}/"`,
    // GET /openapi.json serves the document generated now from the routes' schemas (lib/openApiAsset.ts).
    `cp "${openApiAssetFile()}" "${output}/${OPENAPI_FILE}"`,
  ],
};

export interface RunLaterProps {
  /** Run tasks in this VPC. Default: a new VPC with public subnets in two zones and no NAT gateway. */
  readonly vpc?: ec2.IVpc;
  /** Subnets for tasks (default: the VPC's public subnets, or its private ones with egress when it has no public). */
  readonly taskSubnets?: ec2.SubnetSelection;
  /** Give tasks a public IP (needed in public subnets to pull images without NAT). Default: true when the VPC is ours. */
  readonly assignPublicIp?: boolean;
  /** How long job output is kept in CloudWatch Logs. Default: one month. */
  readonly logRetention?: logs.RetentionDays;
  /** Finished jobs are deleted this many days after they end (DynamoDB TTL). Default 30. */
  readonly jobRetentionDays?: number;
  /** At most this many dispatcher invocations at once (RunTask allows ~20 calls/s). Default 5. */
  readonly dispatcherConcurrency?: number;
  /**
   * The account's task launch rate in this region, which the dispatchers share between them
   * (each paces RunTask at its share). Default: Fargate's 20 tasks/s after a burst of 100.
   */
  readonly launchQuota?: { ratePerSecond: number; burst: number };
  /**
   * ECS Container Insights on the job cluster, for the dashboard's "running tasks" graph. Its
   * metrics are billed as custom metrics while tasks run. Default: true.
   */
  readonly containerInsights?: boolean;
  /**
   * What happens to the tables, the job log group and the stdin bucket when the stack is deleted.
   * Default: RETAIN. With DESTROY, empty the bucket first (its objects expire within 10 days).
   */
  readonly removalPolicy?: RemovalPolicy;
  /** Where job state changes are put ("Job State Change" from "runlater"). Default: the default bus. */
  readonly eventBus?: events.IEventBus;
  /** Let webhooks reach private, loopback and link-local addresses (e.g. a receiver in the VPC). Default: false. */
  readonly allowPrivateWebhookTargets?: boolean;
  /** Alarms (dead letters, function errors and throttles) notify this topic. Default: a topic of the stack's. */
  readonly alarmTopic?: sns.ITopic;
  /** With no alarmTopic: this address is subscribed to the stack's alarm topic (it must confirm). */
  readonly alarmEmail?: string;
  /** The CloudWatch dashboard ($3 a month beyond the free three). Default: true. */
  readonly dashboard?: boolean;
  /**
   * Stack traces of the functions name the TypeScript sources (`NODE_OPTIONS=--enable-source-maps`).
   * The maps are shipped either way; turned on, Node reads them at every cold start, which costs
   * init time (docs/performance.md). Default: false.
   */
  readonly sourceMaps?: boolean;
}

/** Settings every function gets besides what its code reads (functionEnv.ts); read by Lambda and Powertools. */
export const FUNCTION_SETTINGS = {
  POWERTOOLS_LOG_LEVEL: 'INFO',
} as const;

/** What the `sourceMaps` prop adds to every function's settings. */
export const SOURCE_MAP_SETTINGS = { NODE_OPTIONS: '--enable-source-maps' } as const;

/**
 * runlater in an AWS account: an HTTPS API (API Gateway → Lambda) over DynamoDB, a dispatch queue
 * (SQS with a dead-letter queue) feeding a dispatcher that starts one Fargate task per job attempt,
 * ECS task events (EventBridge) recorded by a status function, job output in CloudWatch Logs,
 * large stdin in S3, schedules and long delays in EventBridge Scheduler, and a reconciler on a timer.
 *
 * @example
 * new RunLater(this, 'RunLater', { jobRetentionDays: 14 });
 */
export class RunLater extends Construct {
  readonly api: apigw.HttpApi;
  readonly apiUrl: string;
  readonly tables: Record<keyof typeof TABLES, dynamodb.Table>;
  readonly dispatchQueue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  /** Task events EventBridge could not deliver to the status function: kept apart, so redriving the dispatch DLQ stays safe. */
  readonly eventsDeadLetterQueue: sqs.Queue;
  readonly alarms: RunLaterAlarms;
  readonly dashboard?: RunLaterDashboard;
  readonly cluster: ecs.Cluster;
  readonly jobLogGroup: logs.LogGroup;
  readonly stdinBucket: s3.Bucket;
  readonly notifications: RunLaterNotifications;
  readonly functions: Record<FunctionName, NodejsFunction>;

  /**
   * Every worker's task definition family starts with this: `<stack name>_`. Stack names have no
   * `_`, so no other stack's prefix starts with it, and IAM can name this stack's families alone.
   */
  readonly taskFamilyPrefix: string;

  constructor(scope: Construct, id: string, props: RunLaterProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    this.taskFamilyPrefix = `${stack.stackName}_`;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.tables = Object.fromEntries(
      Object.values(TABLES).map((def) => {
        const table = new dynamodb.Table(this, `${def.name[0]!.toUpperCase()}${def.name.slice(1)}Table`, {
          partitionKey: { name: def.partitionKey, type: dynamodb.AttributeType.STRING },
          billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
          pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
          encryption: dynamodb.TableEncryption.AWS_MANAGED,
          ...(def.ttlAttribute ? { timeToLiveAttribute: def.ttlAttribute } : {}),
          // The jobs table's stream is the outbox of job events: the jobEvents function reads it.
          ...(def.name === 'jobs' ? { stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES } : {}),
          removalPolicy,
        });
        for (const index of def.indexes)
          table.addGlobalSecondaryIndex({
            indexName: index.name,
            partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
            sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
          });
        return [def.name, table];
      }),
    ) as Record<keyof typeof TABLES, dynamodb.Table>;

    this.deadLetterQueue = new sqs.Queue(this, 'DispatchDeadLetterQueue', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.dispatchQueue = new sqs.Queue(this, 'DispatchQueue', {
      // Six times the dispatcher's timeout, as AWS advises for Lambda consumers.
      visibilityTimeout: Duration.seconds(180),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Throttled launches come back many times before they get through: be patient before giving up.
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 50 },
    });
    // Holds EventBridge events, not dispatch messages: sending them to the dispatcher would fail them.
    this.eventsDeadLetterQueue = new sqs.Queue(this, 'TaskEventsDeadLetterQueue', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });

    this.stdinBucket = new s3.Bucket(this, 'StdinBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // Delays reach 7 days, and retries follow: keep stdin a little longer than that.
      lifecycleRules: [
        { expiration: Duration.days(10), abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      // Kept like the tables: CloudFormation cannot delete a bucket that still holds objects, and a
      // destroy that fails half-way is worse than a bucket that empties itself within 10 days.
      removalPolicy,
    });

    this.jobLogGroup = new logs.LogGroup(this, 'JobLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy,
    });

    const ownVpc = !props.vpc;
    const vpc =
      props.vpc ??
      new ec2.Vpc(this, 'Vpc', {
        maxAzs: 2,
        natGateways: 0,
        subnetConfiguration: [{ name: 'tasks', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 20 }],
      });
    const subnets = vpc.selectSubnets(props.taskSubnets ?? { subnetType: ec2.SubnetType.PUBLIC });
    const taskSecurityGroup = new ec2.SecurityGroup(this, 'TaskSecurityGroup', {
      vpc,
      description:
        'runlater job tasks: no inbound traffic, outbound to anywhere (image pulls, the job itself)',
      allowAllOutbound: true,
    });
    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc,
      containerInsightsV2:
        props.containerInsights === false ? ecs.ContainerInsights.DISABLED : ecs.ContainerInsights.ENABLED,
    });

    const executionRole = new iam.Role(this, 'TaskExecutionRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'Lets ECS pull job images and write their logs; jobs themselves get no permissions',
    });
    // Workers name arbitrary images: pulling from the account's ECR repositories needs these on any repository.
    executionRole.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'ecr:GetAuthorizationToken',
          'ecr:BatchCheckLayerAvailability',
          'ecr:GetDownloadUrlForLayer',
          'ecr:BatchGetImage',
        ],
        resources: ['*'],
      }),
    );
    this.jobLogGroup.grantWrite(executionRole);
    // Worker secrets and private-registry credentials: only those named under runlater/ (the API
    // refuses any other reference), so a worker cannot hand a job any secret of the account.
    executionRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [secretArns(stack).secrets],
      }),
    );
    executionRole.addToPolicy(
      new iam.PolicyStatement({ actions: ['ssm:GetParameters'], resources: [secretArns(stack).parameters] }),
    );

    const shimImage = new DockerImageAsset(this, 'ShimImage', {
      directory: stageShimImageContext(),
      platform: Platform.LINUX_AMD64,
    });
    shimImage.repository.grantPull(executionRole);

    const schedulerGroup = new scheduler.CfnScheduleGroup(this, 'ScheduleGroup', {
      name: `runlater-${stack.stackName}`.slice(0, 64),
    });
    const schedulerRole = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'Lets EventBridge Scheduler start schedule runs and deliver delayed dispatch messages',
    });
    this.dispatchQueue.grantSendMessages(schedulerRole);

    // Webhook deliveries and job events: the queue and the bus exist before the functions naming them.
    this.notifications = new RunLaterNotifications(this, 'Notifications', {
      ...(props.eventBus ? { eventBus: props.eventBus } : {}),
    });

    // What each function reads is declared once (lambdas/entrypoints/functionEnv.ts); each gets
    // exactly its own variables, fixed when it is built.
    const values: Omit<Record<EnvVar, string>, 'SCHEDULE_FIRE_ARN'> = {
      WORKERS_TABLE: this.tables.workers.tableName,
      JOBS_TABLE: this.tables.jobs.tableName,
      TOKENS_TABLE: this.tables.tokens.tableName,
      SCHEDULES_TABLE: this.tables.schedules.tableName,
      JOB_RETENTION_DAYS: String(props.jobRetentionDays ?? 30),
      DISPATCH_QUEUE_URL: this.dispatchQueue.queueUrl,
      DISPATCH_QUEUE_ARN: this.dispatchQueue.queueArn,
      SCHEDULER_GROUP: schedulerGroup.ref,
      SCHEDULER_ROLE_ARN: schedulerRole.roleArn,
      STDIN_BUCKET: this.stdinBucket.bucketName,
      CLUSTER_ARN: this.cluster.clusterArn,
      TASK_FAMILY_PREFIX: this.taskFamilyPrefix,
      SUBNETS: subnets.subnetIds.join(','),
      SECURITY_GROUPS: taskSecurityGroup.securityGroupId,
      ASSIGN_PUBLIC_IP: String(props.assignPublicIp ?? ownVpc),
      EXECUTION_ROLE_ARN: executionRole.roleArn,
      SHIM_IMAGE: shimImage.imageUri,
      JOB_LOG_GROUP: this.jobLogGroup.logGroupName,
      DELIVERY_QUEUE_URL: this.notifications.deliveryQueue.queueUrl,
      EVENT_BUS_NAME: this.notifications.eventBus.eventBusName,
      WEBHOOK_ALLOW_PRIVATE: String(props.allowPrivateWebhookTargets ?? false),
    };
    const environmentOf = (name: FunctionName, known: Partial<Record<EnvVar, string>>) =>
      Object.fromEntries(
        FUNCTION_ENV[name].map((v) => {
          const value = known[v];
          if (value === undefined)
            throw new Error(`runlater: the ${name} function needs ${v} before it exists`);
          return [v, value];
        }),
      );

    const fn = (
      name: FunctionName,
      description: string,
      known: Partial<Record<EnvVar, string>>,
      timeout = 30,
    ) => {
      const id = `${name[0]!.toUpperCase()}${name.slice(1)}`;
      const logGroup = new logs.LogGroup(this, `${id}Logs`, {
        retention: logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      // Its own role, allowed to write its own logs: no AWS managed policy with logs on every group.
      const role = new iam.Role(this, `${id}Role`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `runlater ${name} function`,
      });
      logGroup.grantWrite(role);
      return new NodejsFunction(this, `${id}Function`, {
        role,
        entry: join(ROOT, 'lambdas', 'entrypoints', `${name}.ts`),
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: 512,
        timeout: Duration.seconds(timeout),
        description,
        // X-Ray: the entry points trace each invocation and its AWS calls (Powertools Tracer).
        tracing: lambda.Tracing.ACTIVE,
        environment: {
          ...environmentOf(name, known),
          ...FUNCTION_SETTINGS,
          ...(props.sourceMaps ? SOURCE_MAP_SETTINGS : {}),
        },
        logGroup,
        bundling: {
          // Bundle the AWS SDK too: the versions tested here are the versions that run.
          externalModules: [],
          format: OutputFormat.ESM,
          // The SDK's ES modules (dist-es), not its CommonJS: esbuild can then drop what a function does not use.
          mainFields: ['module', 'main'],
          target: 'node22',
          minify: true,
          // Shipped always, read only with the sourceMaps prop. Stack traces need the mappings, not
          // the sources: without sourcesContent the map is a third of the size, and faster to read.
          sourceMap: true,
          sourcesContent: false,
          // The SDK's credential chain and semver: what the bundles take from modules of ours instead.
          esbuildArgs: bundleAliasArgs(),
          // ESM bundles need require() for the CommonJS dependencies they inline.
          banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
          // The API function also serves the web console's files and the reference page's script.
          ...(name === 'api' ? { commandHooks: apiBundlingHooks } : {}),
        },
      });
    };

    // Built first: the API names it as the target of the schedules it makes.
    const scheduleFire = fn('scheduleFire', 'runlater: queues the job of one schedule run', values);
    const withFire = { ...values, SCHEDULE_FIRE_ARN: scheduleFire.functionArn };
    this.functions = {
      scheduleFire,
      api: fn('api', 'runlater: the HTTP API', withFire),
      dispatcher: fn('dispatcher', 'runlater: starts one Fargate task per job attempt', withFire),
      taskStatus: fn('taskStatus', 'runlater: records ECS task state changes', withFire),
      reconciler: fn(
        'reconciler',
        'runlater: settles jobs whose task events were missed, enforces timeouts',
        withFire,
        120,
      ),
      webhookDelivery: fn(
        'webhookDelivery',
        'runlater: delivers signed webhooks from its queue',
        values,
        120,
      ),
      jobEvents: fn('jobEvents', "runlater: puts each job's state change on the event bus", values, 60),
    };
    schedulerRole.addToPolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [scheduleFire.functionArn] }),
    );

    grantLeastPrivilege(this, { executionRole, schedulerRole, schedulerGroup, taskSecurityGroup });
    this.notifications.connect({
      jobWriters: FUNCTION_NAMES.filter((n) => n !== 'webhookDelivery' && n !== 'jobEvents').map(
        (n) => this.functions[n],
      ),
      webhookDelivery: this.functions.webhookDelivery,
      jobEvents: this.functions.jobEvents,
      jobs: this.tables.jobs,
      workers: this.tables.workers,
    });

    this.functions.dispatcher.addEventSource(
      new SqsEventSource(this.dispatchQueue, {
        batchSize: 10,
        reportBatchItemFailures: true,
        maxConcurrency: props.dispatcherConcurrency ?? 5,
      }),
    );
    // Read by lambdas/pacing/LaunchPacer.ts (launchQuotaFromEnv), which defaults to 5 dispatchers
    // and Fargate's 20 tasks/s after a burst of 100: set only when the props differ from those.
    const dispatcherEnv = this.functions.dispatcher;
    if (props.dispatcherConcurrency !== undefined)
      dispatcherEnv.addEnvironment('DISPATCHER_CONCURRENCY', String(props.dispatcherConcurrency));
    if (props.launchQuota) {
      dispatcherEnv.addEnvironment('LAUNCH_RATE_PER_SECOND', String(props.launchQuota.ratePerSecond));
      dispatcherEnv.addEnvironment('LAUNCH_BURST', String(props.launchQuota.burst));
    }

    new events.Rule(this, 'TaskStateChanges', {
      description: 'runlater: ECS task state changes of the job cluster → status function',
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Task State Change'],
        detail: { clusterArn: [this.cluster.clusterArn], lastStatus: ['RUNNING', 'STOPPED'] },
      },
      targets: [
        new targets.LambdaFunction(this.functions.taskStatus, {
          retryAttempts: 185,
          maxEventAge: Duration.hours(24),
          deadLetterQueue: this.eventsDeadLetterQueue,
        }),
      ],
    });
    new events.Rule(this, 'ReconcileEveryMinute', {
      description: 'runlater: the reconciler, every minute',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [new targets.LambdaFunction(this.functions.reconciler, { retryAttempts: 0 })],
    });

    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.api = new apigw.HttpApi(this, 'Api', {
      description: 'runlater: run any container image later',
      createDefaultStage: false,
    });
    const stage = new apigw.HttpStage(this, 'ApiStage', {
      httpApi: this.api,
      autoDeploy: true,
      throttle: { rateLimit: 50, burstLimit: 100 },
    });
    const cfnStage = stage.node.defaultChild as apigw.CfnStage;
    cfnStage.stageName = '$default';
    cfnStage.accessLogSettings = {
      destinationArn: accessLogs.logGroupArn,
      format: JSON.stringify({
        requestId: '$context.requestId',
        ip: '$context.identity.sourceIp',
        time: '$context.requestTime',
        method: '$context.httpMethod',
        path: '$context.path',
        status: '$context.status',
        latency: '$context.responseLatency',
      }),
    };
    // The API function checks bearer tokens itself (401 for a wrong one, as the contract says).
    const integration = new HttpLambdaIntegration('ApiIntegration', this.functions.api);
    this.api.addRoutes({ path: '/{proxy+}', methods: [apigw.HttpMethod.ANY], integration });
    routeConsole(this.api, integration);
    this.apiUrl = `https://${this.api.apiId}.execute-api.${stack.region}.${stack.urlSuffix}`;

    acknowledgeNagFindings(this, { executionRole, schedulerGroup, vpc: ownVpc ? vpc : undefined });

    this.alarms = new RunLaterAlarms(this, 'Alarms', {
      ...(props.alarmTopic ? { topic: props.alarmTopic } : {}),
      ...(props.alarmEmail ? { email: props.alarmEmail } : {}),
      functions: this.functions,
      deadLetterQueues: {
        Dispatch: this.deadLetterQueue,
        TaskEvents: this.eventsDeadLetterQueue,
        WebhookDeliveries: this.notifications.deliveryDeadLetterQueue,
        JobEvents: this.notifications.jobEventsDeadLetterQueue,
      },
    });
    if (props.dashboard !== false)
      this.dashboard = new RunLaterDashboard(this, 'Dashboard', {
        functions: this.functions,
        dispatchQueue: this.dispatchQueue,
        deadLetterAlarm: this.alarms.deadLetterAlarms.Dispatch!,
        cluster: this.cluster,
        api: this.api,
      });
  }
}

/** The secrets a job's task may be given: Secrets Manager secrets and SSM parameters named runlater/*. */
export function secretArns(stack: Stack): { secrets: string; parameters: string } {
  return {
    secrets: stack.formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: 'runlater/*',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    }),
    parameters: stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: 'runlater/*' }),
  };
}
