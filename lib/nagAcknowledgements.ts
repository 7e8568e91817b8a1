import { CfnElement, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type { IConstruct } from 'constructs';
import type { RunLater } from './RunLater.ts';

/**
 * The cdk-nag AwsSolutions findings runlater accepts, each on the construct it concerns and with
 * its reason. A finding not acknowledged here fails the template test (test/aws/stack.test.ts).
 */
export function acknowledgeNagFindings(
  runlater: RunLater,
  parts: { executionRole: iam.Role; schedulerGroup: scheduler.CfnScheduleGroup; vpc: ec2.IVpc | undefined },
): void {
  const stack = Stack.of(runlater);
  const ack = (construct: IConstruct, id: string, reason: string) =>
    Validations.of(construct).acknowledge({ id, reason });
  const ref = (construct: IConstruct, attribute?: string) => {
    const element = (
      CfnElement.isCfnElement(construct) ? construct : construct.node.defaultChild
    ) as CfnElement;
    const logicalId = stack.getLogicalId(element);
    return attribute ? `<${logicalId}.${attribute}>` : `<${logicalId}>`;
  };
  // cdk-nag names a finding by the ARN as written: placeholders for unresolved parts, else the value.
  const pseudo = (value: string, name: string) => (Token.isUnresolved(value) ? `<AWS::${name}>` : value);
  const arn = (service: string, resource: string) =>
    `arn:${pseudo(stack.partition, 'Partition')}:${service}:${pseudo(stack.region, 'Region')}:${pseudo(stack.account, 'AccountId')}:${resource}`;
  const { api, dispatcher, taskStatus, reconciler, scheduleFire, webhookDelivery, jobEvents } =
    runlater.functions;
  // Every function, the webhook delivery one included: each is traced and reads the jobs table.
  const all = [api, dispatcher, taskStatus, reconciler, scheduleFire, webhookDelivery];

  for (const f of all) {
    ack(
      f.role!,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray active tracing: xray:PutTraceSegments and PutTelemetryRecords support no resource-level permissions',
    );
    ack(
      f,
      'AwsSolutions-L1',
      'runlater targets the nodejs22.x Lambda runtime on purpose (its tested Node version)',
    );
    ack(
      f.role!,
      `AwsSolutions-IAM5[Resource::${ref(runlater.tables.jobs, 'Arn')}/index/*]`,
      "Jobs are listed by status and by worker through the table's own indexes",
    );
    ack(
      f.role!,
      `AwsSolutions-IAM5[Resource::${arn('scheduler', `schedule/${ref(parts.schedulerGroup)}/*`)}]`,
      "Schedules are made at run time (one per delayed dispatch or user schedule), all inside runlater's own schedule group",
    );
  }
  for (const f of [api, dispatcher, scheduleFire])
    ack(
      f.role!,
      `AwsSolutions-IAM5[Resource::${ref(runlater.stdinBucket, 'Arn')}/stdin/*]`,
      "One stdin object per job, under the stdin/ prefix of runlater's own bucket",
    );
  const clusterTasks = `AwsSolutions-IAM5[Resource::${arn('ecs', `task/${ref(runlater.cluster)}/*`)}]`;
  for (const f of [api, dispatcher, reconciler])
    ack(f.role!, clusterTasks, "Task ids are made by ECS at run time; only tasks of runlater's own cluster");
  for (const f of [api, dispatcher]) {
    ack(
      f.role!,
      `AwsSolutions-IAM5[Resource::${arn('ecs', `task-definition/${runlater.taskFamilyPrefix}*`)}]`,
      `One task definition family per worker, made at run time, all named ${runlater.taskFamilyPrefix}<worker> (this stack's only)`,
    );
    const iamRole = (name: string) =>
      `AwsSolutions-IAM5[Resource::arn:${pseudo(stack.partition, 'Partition')}:iam::${pseudo(stack.account, 'AccountId')}:role/${name}]`;
    for (const name of ['runlater-job-*', '*/runlater-job-*'])
      ack(
        f.role!,
        iamRole(name),
        'Workers may name a role for their jobs; runlater may pass only roles named runlater-job-* (with any IAM path)',
      );
    ack(
      f.role!,
      'AwsSolutions-IAM5[Resource::*]',
      'ecs:Register/Deregister/List/DescribeTaskDefinition and ecr:GetAuthorizationToken support no resource-level permissions',
    );
  }
  ack(
    api.role!,
    `AwsSolutions-IAM5[Resource::${arn('ecr', 'repository/*')}]`,
    "Workers name any image of the account's ECR: the API reads its ENTRYPOINT/CMD from the registry",
  );
  ack(
    jobEvents.role!,
    'AwsSolutions-IAM5[Resource::*]',
    'X-Ray active tracing (xray:PutTraceSegments, PutTelemetryRecords) and dynamodb:ListStreams support no resource-level permissions',
  );
  ack(
    jobEvents,
    'AwsSolutions-L1',
    'runlater targets the nodejs22.x Lambda runtime on purpose (its tested Node version)',
  );
  ack(
    runlater.notifications.jobEventsDeadLetterQueue,
    'AwsSolutions-SQS3',
    "This queue is itself a dead-letter queue: where the jobs table's stream records that could not become events are noted",
  );
  ack(
    runlater.eventsDeadLetterQueue,
    'AwsSolutions-SQS3',
    'This queue is itself a dead-letter queue: ECS task events EventBridge could not deliver',
  );
  ack(
    parts.executionRole,
    'AwsSolutions-IAM5[Resource::*]',
    "Workers name any image: ECS must be able to pull from any of the account's ECR repositories (GetAuthorizationToken has no resource either)",
  );
  ack(
    parts.executionRole,
    `AwsSolutions-IAM5[Resource::${arn('secretsmanager', 'secret:runlater/*')}]`,
    'Workers name their secrets at run time; the task may read only secrets named runlater/*',
  );
  ack(
    parts.executionRole,
    `AwsSolutions-IAM5[Resource::${arn('ssm', 'parameter/runlater/*')}]`,
    'Workers name their parameters at run time; the task may read only parameters named runlater/*',
  );
  ack(
    runlater.stdinBucket,
    'AwsSolutions-S1',
    "Objects live at most 10 days, are written only by runlater's functions and read only through presigned URLs; use CloudTrail data events for an audit trail",
  );
  ack(
    runlater.api,
    'AwsSolutions-APIG4',
    'The API function checks bearer tokens (stored as hashes) itself, so that a wrong token is a 401 as the API contract says; health, openapi.json and the files of the web console are public by design',
  );
  if (parts.vpc)
    ack(
      parts.vpc,
      'AwsSolutions-VPC7',
      'The VPC only hosts job tasks, which accept no inbound traffic; flow logs cost per GB and are left to the operator',
    );
}
