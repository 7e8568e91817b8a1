import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { RunLaterStack } from '../../lib/RunLaterStack.ts';

/** The synthesized template, one behaviour a test. Bundling is off: these tests read the template only. */
describe('the CDK stack', () => {
  let app: App;
  let stack: RunLaterStack;
  let template: Template;
  before(() => {
    app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    stack = new RunLaterStack(app, 'RunLater');
    template = Template.fromStack(stack);
  });

  it('passes cdk-nag AwsSolutions with no finding left unacknowledged', () => {
    const report = new AwsSolutionsChecks(app).validateScope(stack);
    const open = report.violations.flatMap((v) =>
      v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`),
    );
    assert.deepEqual(open, []);
  });

  it('keeps workers, jobs, tokens and schedules in on-demand tables with point-in-time recovery', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 4);
    template.allResourcesProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('expires finished jobs with DynamoDB TTL, and lists them by status and worker', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      GlobalSecondaryIndexes: Match.arrayWith([
        Match.objectLike({ IndexName: 'byCreated' }),
        Match.objectLike({ IndexName: 'byWorker' }),
        Match.objectLike({ IndexName: 'byStatus' }),
        Match.objectLike({ IndexName: 'byWorkerState' }),
      ]),
    });
  });

  it('feeds the dispatcher from an SQS queue with a dead-letter queue and an alarm on it', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: 50 },
      VisibilityTimeout: 180,
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 5 },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('runs every function on nodejs22.x', () => {
    const fns = template.findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.handler' } });
    assert.equal(Object.keys(fns).length, 7);
    for (const f of Object.values(fns)) assert.equal(f.Properties.Runtime, 'nodejs22.x');
  });

  it('leaves source maps off by default, and turns them on for every function with sourceMaps', () => {
    const nodeOptions = (t: Template) =>
      Object.values(
        t.findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.handler' } }),
      ).map((f) => f.Properties.Environment.Variables.NODE_OPTIONS as string | undefined);
    assert.deepEqual(nodeOptions(template), Array(7).fill(undefined));
    for (const sourceMaps of [false, true]) {
      const other = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const withProp = Template.fromStack(new RunLaterStack(other, 'RunLater', { runlater: { sourceMaps } }));
      assert.deepEqual(nodeOptions(withProp), Array(7).fill(sourceMaps ? '--enable-source-maps' : undefined));
    }
  });

  it('sends ECS task state changes of its own cluster to the status function', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.ecs'],
        'detail-type': ['ECS Task State Change'],
        detail: { clusterArn: [Match.anyValue()], lastStatus: ['RUNNING', 'STOPPED'] },
      },
    });
  });

  it('runs the reconciler every minute', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' });
  });

  it('makes its own VPC with public subnets and no NAT gateway', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.hasResourceProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: true });
  });

  it('uses an existing VPC and subnets when given, without looking anything up', () => {
    const other = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const s = new RunLaterStack(other, 'Existing', {
      network: {
        vpcId: 'vpc-123',
        subnetIds: ['subnet-a', 'subnet-b'],
        availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      },
    });
    const t = Template.fromStack(s);
    t.resourceCountIs('AWS::EC2::VPC', 0);
    t.hasResourceProperties('AWS::EC2::SecurityGroup', { VpcId: 'vpc-123' });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SUBNETS: 'subnet-a,subnet-b' }) },
    });
  });

  it('keeps job output in a log group with a retention', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('keeps large stdin in an encrypted, private bucket that forgets it', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 10, Status: 'Enabled' })]),
      },
    });
  });

  it('wires EventBridge Scheduler: a schedule group, and a role that may only fire runs and deliver delayed dispatches', () => {
    template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 1);
    const roles = template.findResources('AWS::IAM::Role', {
      Properties: {
        AssumeRolePolicyDocument: {
          Statement: [Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' } })],
        },
      },
    });
    assert.equal(Object.keys(roles).length, 1);
    const [roleId] = Object.keys(roles);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: roleId }],
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: Match.arrayWith(['sqs:SendMessage']),
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RunLaterDispatchQueue'), 'Arn'] },
          }),
          Match.objectLike({
            Action: 'lambda:InvokeFunction',
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RunLaterScheduleFireFunction'), 'Arn'] },
          }),
        ],
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          SCHEDULER_GROUP: { Ref: Match.stringLikeRegexp('^RunLaterScheduleGroup') },
          SCHEDULER_ROLE_ARN: { 'Fn::GetAtt': [roleId, 'Arn'] },
          SCHEDULE_FIRE_ARN: {
            'Fn::GetAtt': [Match.stringLikeRegexp('^RunLaterScheduleFireFunction'), 'Arn'],
          },
        }),
      },
    });
  });

  it('has a dashboard and outputs the API URL', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.hasOutput('ApiUrl', {});
  });

  it('lets every function that ends attempts read the workers (a freed slot wakes held-back jobs by the limit)', () => {
    const policies = template.findResources('AWS::IAM::Policy');
    const workersTable = Object.keys(template.findResources('AWS::DynamoDB::Table')).find((id) =>
      id.startsWith('RunLaterWorkersTable'),
    );
    for (const role of ['Dispatcher', 'TaskStatus', 'Reconciler', 'ScheduleFire']) {
      const [, policy] = Object.entries(policies).find(([id]) => id.startsWith(`RunLater${role}Role`))!;
      const readsWorkers = (
        policy.Properties.PolicyDocument.Statement as { Action: string[]; Resource: unknown }[]
      ).some(
        (s) => s.Action.includes('dynamodb:GetItem') && JSON.stringify(s.Resource).includes(workersTable!),
      );
      assert.ok(readsWorkers, `${role} reads the workers table`);
    }
  });

  it("lets only the dispatcher run tasks, and only of this stack's task definitions", () => {
    const policies = template.findResources('AWS::IAM::Policy');
    const runTask = Object.entries(policies).filter(([, p]) =>
      JSON.stringify(p.Properties.PolicyDocument).includes('"ecs:RunTask"'),
    );
    assert.equal(runTask.length, 1);
    assert.match(runTask[0]![0], /^RunLaterDispatcherRole/);
    assert.match(JSON.stringify(runTask[0]![1]), /task-definition\/RunLater_\*/);
  });

  it('lets the dispatcher run tasks only in the runlater cluster, and tag only the tasks it starts', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyName: Match.stringLikeRegexp('^RunLaterDispatcherRole'),
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'ecs:RunTask',
            Resource: { 'Fn::Join': ['', Match.arrayWith([':task-definition/RunLater_*'])] },
            Condition: { ArnEquals: { 'ecs:cluster': Match.anyValue() } },
          }),
          Match.objectLike({
            Action: 'ecs:TagResource',
            Condition: { StringEquals: { 'ecs:CreateAction': 'RunTask' } },
          }),
        ]),
      },
    });
  });

  it('lets the task execution role write job output to the job log group (awslogs)', () => {
    const logGroup = Object.keys(
      template.findResources('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 30 } }),
    ).find((id) => id.startsWith('RunLaterJobLogs'));
    assert.ok(logGroup, 'the job log group');
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyName: Match.stringLikeRegexp('^RunLaterTaskExecutionRole'),
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: { 'Fn::GetAtt': [logGroup, 'Arn'] },
          }),
        ]),
      },
    });
  });

  it('lets the task execution role read only secrets and parameters named runlater/* (worker secrets)', () => {
    const statements = Object.values(
      template.findResources('AWS::IAM::Policy', {
        Properties: { PolicyName: Match.stringLikeRegexp('^RunLaterTaskExecutionRole') },
      }),
    ).flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[]);
    const resourceOf = (action: string) =>
      JSON.stringify(statements.filter((s) => s.Action === action).map((s) => s.Resource));
    assert.match(resourceOf('secretsmanager:GetSecretValue'), /:secretsmanager:.*:secret:runlater\/\*"/);
    assert.match(resourceOf('ssm:GetParameters'), /:ssm:.*:parameter\/runlater\/\*"/);
    // Nowhere else, and never on every secret.
    const all = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    assert.equal(all.match(/secretsmanager:GetSecretValue/g)?.length, 1);
    assert.doesNotMatch(all, /"secretsmanager:\*"|"ssm:\*"/);
  });

  it("lets the API read the account's ECR images (what an image runs, for workers without a command)", () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyName: Match.stringLikeRegexp('^RunLaterApi'),
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
            Resource: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([':repository/*'])]) }),
          }),
        ]),
      },
    });
  });

  it('gives job tasks no role: a job has no AWS permissions of its own', () => {
    const roles = template.findResources('AWS::IAM::Role');
    const taskRoles = Object.values(roles).filter((r) =>
      JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('ecs-tasks.amazonaws.com'),
    );
    assert.equal(taskRoles.length, 1, 'only the execution role (image pulls and logs)');
    const policy = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    assert.doesNotMatch(policy, /"s3:\*"|"dynamodb:\*"|"ecs:\*"/);
  });

  it('exposes nothing public but the API', () => {
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 0);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: Match.absent(),
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'ANY /{proxy+}' });
  });
});
