import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
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
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { TABLES, TABLE_ENV } from '../lambdas/adapters/dynamodb/tables.ts';
import { stageShimImageContext } from './shimImage.ts';
import { RunLaterDashboard } from './RunLaterDashboard.ts';
import { acknowledgeNagFindings } from './nagAcknowledgements.ts';
import { consoleBundlingHooks, routeConsole } from './webConsole.ts';
import { RunLaterNotifications } from './RunLaterNotifications.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

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
}

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
  readonly cluster: ecs.Cluster;
  readonly jobLogGroup: logs.LogGroup;
  readonly stdinBucket: s3.Bucket;
  readonly notifications: RunLaterNotifications;
  readonly functions: Record<
    'api' | 'dispatcher' | 'taskStatus' | 'reconciler' | 'scheduleFire' | 'webhookDelivery',
    NodejsFunction
  >;

  constructor(scope: Construct, id: string, props: RunLaterProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.tables = Object.fromEntries(
      Object.values(TABLES).map((def) => {
        const table = new dynamodb.Table(this, `${def.name[0]!.toUpperCase()}${def.name.slice(1)}Table`, {
          partitionKey: { name: def.partitionKey, type: dynamodb.AttributeType.STRING },
          billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
          pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
          encryption: dynamodb.TableEncryption.AWS_MANAGED,
          ...(def.ttlAttribute ? { timeToLiveAttribute: def.ttlAttribute } : {}),
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

    const environment: Record<string, string> = {
      [TABLE_ENV.workers]: this.tables.workers.tableName,
      [TABLE_ENV.jobs]: this.tables.jobs.tableName,
      [TABLE_ENV.tokens]: this.tables.tokens.tableName,
      [TABLE_ENV.schedules]: this.tables.schedules.tableName,
      DISPATCH_QUEUE_URL: this.dispatchQueue.queueUrl,
      DISPATCH_QUEUE_ARN: this.dispatchQueue.queueArn,
      STDIN_BUCKET: this.stdinBucket.bucketName,
      CLUSTER_ARN: this.cluster.clusterArn,
      SUBNETS: subnets.subnetIds.join(','),
      SECURITY_GROUPS: taskSecurityGroup.securityGroupId,
      ASSIGN_PUBLIC_IP: String(props.assignPublicIp ?? ownVpc),
      EXECUTION_ROLE_ARN: executionRole.roleArn,
      SHIM_IMAGE: shimImage.imageUri,
      JOB_LOG_GROUP: this.jobLogGroup.logGroupName,
      SCHEDULER_GROUP: schedulerGroup.ref,
      SCHEDULER_ROLE_ARN: schedulerRole.roleArn,
      JOB_RETENTION_DAYS: String(props.jobRetentionDays ?? 30),
      POWERTOOLS_LOG_LEVEL: 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
    };

    const fn = (name: keyof RunLater['functions'], description: string, timeout = 30) => {
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
        environment,
        logGroup,
        bundling: {
          // Bundle the AWS SDK too: the versions tested here are the versions that run.
          externalModules: [],
          format: OutputFormat.ESM,
          target: 'node22',
          minify: true,
          sourceMap: true,
          // ESM bundles need require() for the CommonJS dependencies they inline.
          banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
          // The API function also serves the web console's files.
          ...(name === 'api' ? { commandHooks: consoleBundlingHooks } : {}),
        },
      });
    };

    const scheduleFire = fn('scheduleFire', 'runlater: queues the job of one schedule run');
    environment.SCHEDULE_FIRE_ARN = scheduleFire.functionArn;
    this.functions = {
      scheduleFire,
      api: fn('api', 'runlater: the HTTP API'),
      dispatcher: fn('dispatcher', 'runlater: starts one Fargate task per job attempt'),
      taskStatus: fn('taskStatus', 'runlater: records ECS task state changes'),
      reconciler: fn(
        'reconciler',
        'runlater: settles jobs whose task events were missed, enforces timeouts',
        120,
      ),
      webhookDelivery: fn('webhookDelivery', 'runlater: delivers signed webhooks from its queue', 120),
    };
    for (const f of [
      this.functions.api,
      this.functions.dispatcher,
      this.functions.taskStatus,
      this.functions.reconciler,
    ])
      f.addEnvironment('SCHEDULE_FIRE_ARN', scheduleFire.functionArn);
    schedulerRole.addToPolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [scheduleFire.functionArn] }),
    );

    this.grantLeastPrivilege({ executionRole, schedulerRole, schedulerGroup, taskSecurityGroup });
    const { webhookDelivery, ...jobWriters } = this.functions;
    this.notifications = new RunLaterNotifications(this, 'Notifications', {
      jobWriters: Object.values(jobWriters),
      webhookDelivery,
      jobs: this.tables.jobs,
      workers: this.tables.workers,
      ...(props.eventBus ? { eventBus: props.eventBus } : {}),
      ...(props.allowPrivateWebhookTargets !== undefined
        ? { allowPrivateWebhookTargets: props.allowPrivateWebhookTargets }
        : {}),
    });

    this.functions.dispatcher.addEventSource(
      new SqsEventSource(this.dispatchQueue, {
        batchSize: 10,
        reportBatchItemFailures: true,
        maxConcurrency: props.dispatcherConcurrency ?? 5,
      }),
    );

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
          deadLetterQueue: this.deadLetterQueue,
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

    new RunLaterDashboard(this, 'Dashboard', {
      functions: Object.values(this.functions),
      dispatchQueue: this.dispatchQueue,
      deadLetterQueue: this.deadLetterQueue,
      cluster: this.cluster,
    });
  }

  /** Each function gets what it uses, and nothing more. */
  private grantLeastPrivilege(parts: {
    executionRole: iam.Role;
    schedulerRole: iam.Role;
    schedulerGroup: scheduler.CfnScheduleGroup;
    taskSecurityGroup: ec2.SecurityGroup;
  }): void {
    const { api, dispatcher, taskStatus, reconciler, scheduleFire } = this.functions;
    const stack = Stack.of(this);
    const { workers, jobs, tokens, schedules } = this.tables;

    for (const f of [api, dispatcher, taskStatus, reconciler, scheduleFire]) jobs.grantReadWriteData(f);
    workers.grantReadWriteData(api);
    workers.grantReadData(dispatcher);
    workers.grantReadData(scheduleFire);
    tokens.grantReadWriteData(api);
    schedules.grantReadWriteData(api);
    schedules.grantReadWriteData(scheduleFire);
    for (const f of [api, dispatcher, taskStatus, reconciler, scheduleFire])
      this.dispatchQueue.grantSendMessages(f);
    const stdinObjects = this.stdinBucket.arnForObjects('stdin/*');
    const s3 = (actions: string[], ...fns: NodejsFunction[]) => {
      for (const f of fns) f.addToRolePolicy(new iam.PolicyStatement({ actions, resources: [stdinObjects] }));
    };
    // The dispatcher moves inline stdin to S3 when the overrides would not fit, and signs the
    // URLs the init container fetches with (a presigned URL carries its signer's permission).
    s3(['s3:PutObject'], api, scheduleFire, dispatcher);
    s3(['s3:GetObject'], dispatcher);
    s3(['s3:DeleteObject'], api);

    const scheduleArn = stack.formatArn({
      service: 'scheduler',
      resource: 'schedule',
      resourceName: `${parts.schedulerGroup.ref}/*`,
    });
    const passSchedulerRole = new iam.PolicyStatement({
      actions: ['iam:PassRole'],
      resources: [parts.schedulerRole.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
    });
    for (const f of [api, dispatcher, taskStatus, reconciler, scheduleFire]) {
      f.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['scheduler:CreateSchedule'], resources: [scheduleArn] }),
      );
      f.addToRolePolicy(passSchedulerRole);
    }
    api.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['scheduler:UpdateSchedule', 'scheduler:DeleteSchedule'],
        resources: [scheduleArn],
      }),
    );

    const taskDefinitionArn = stack.formatArn({
      service: 'ecs',
      resource: 'task-definition',
      resourceName: 'runlater-*',
    });
    const taskArn = stack.formatArn({
      service: 'ecs',
      resource: 'task',
      resourceName: `${this.cluster.clusterName}/*`,
    });
    const inCluster = { ArnEquals: { 'ecs:cluster': this.cluster.clusterArn } };
    // RunTask names the task definition; only in runlater's cluster. Tags only as RunTask makes the task.
    dispatcher.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ecs:RunTask'],
        resources: [taskDefinitionArn],
        conditions: inCluster,
      }),
    );
    dispatcher.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ecs:TagResource'],
        resources: [taskArn],
        conditions: { StringEquals: { 'ecs:CreateAction': 'RunTask' } },
      }),
    );
    for (const f of [api, reconciler])
      f.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['ecs:StopTask'], resources: [taskArn], conditions: inCluster }),
      );
    reconciler.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ecs:DescribeTasks'],
        resources: [taskArn],
        conditions: inCluster,
      }),
    );
    // RegisterTaskDefinition has no resource-level permissions: it is allowed on * by AWS's design.
    api.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ecs:RegisterTaskDefinition', 'ecs:TagResource'],
        resources: ['*'],
      }),
    );
    api.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }),
    );
    for (const f of [api, dispatcher])
      f.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['iam:PassRole'],
          // The execution role, and the job roles workers may name (only runlater-job-*).
          resources: [
            parts.executionRole.roleArn,
            stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: 'runlater-job-*' }),
          ],
          conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
        }),
      );
    this.jobLogGroup.grant(api, 'logs:GetLogEvents');
  }
}
