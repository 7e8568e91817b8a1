import { Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type { RunLater } from './RunLater.ts';

/** Each function gets what it uses, and nothing more. */
export function grantLeastPrivilege(
  runlater: RunLater,
  parts: {
    executionRole: iam.Role;
    schedulerRole: iam.Role;
    schedulerGroup: scheduler.CfnScheduleGroup;
    taskSecurityGroup: ec2.SecurityGroup;
  },
): void {
  const { api, dispatcher, taskStatus, reconciler, scheduleFire } = runlater.functions;
  const stack = Stack.of(runlater);
  const { workers, jobs, tokens, schedules } = runlater.tables;

  for (const f of [api, dispatcher, taskStatus, reconciler, scheduleFire]) jobs.grantReadWriteData(f);
  workers.grantReadWriteData(api);
  // Whoever ends an attempt gives its concurrency slot back and reads the worker's limit to
  // send held-back jobs on (the slots are items of the jobs table).
  for (const f of [dispatcher, scheduleFire, taskStatus, reconciler]) workers.grantReadData(f);
  tokens.grantReadWriteData(api);
  schedules.grantReadWriteData(api);
  schedules.grantReadWriteData(scheduleFire);
  for (const f of [api, dispatcher, taskStatus, reconciler, scheduleFire])
    runlater.dispatchQueue.grantSendMessages(f);
  const stdinObjects = runlater.stdinBucket.arnForObjects('stdin/*');
  const s3 = (actions: string[], ...fns: NodejsFunction[]) => {
    for (const f of fns) f.addToRolePolicy(new iam.PolicyStatement({ actions, resources: [stdinObjects] }));
  };
  // The dispatcher moves inline stdin to S3 when the overrides would not fit, and signs the
  // URLs the init container fetches with (a presigned URL carries its signer's permission).
  s3(['s3:PutObject'], api, scheduleFire, dispatcher);
  // The API copies a job's stdin for a re-run (CopyObject reads the source and writes the copy).
  s3(['s3:GetObject'], dispatcher, api);
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

  // Only this stack's families (see taskFamilyPrefix), any revision.
  const taskDefinitionArn = stack.formatArn({
    service: 'ecs',
    resource: 'task-definition',
    resourceName: `${runlater.taskFamilyPrefix}*`,
  });
  const taskArn = stack.formatArn({
    service: 'ecs',
    resource: 'task',
    resourceName: `${runlater.cluster.clusterName}/*`,
  });
  const inCluster = { ArnEquals: { 'ecs:cluster': runlater.cluster.clusterArn } };
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
  // The API stops a cancelled job's task; the dispatcher one whose cancel came during its launch;
  // the reconciler one past its timeout.
  for (const f of [api, dispatcher, reconciler])
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
  // The API registers a worker's task definition; the dispatcher registers it anew when a deploy
  // changed it (EcsTaskDefinitions.ensureCurrent). Both deregister the revisions it replaced.
  for (const f of [api, dispatcher]) {
    // These have no resource-level permissions: AWS allows them on * only.
    f.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'ecs:RegisterTaskDefinition',
          'ecs:DeregisterTaskDefinition',
          'ecs:ListTaskDefinitions',
          'ecs:DescribeTaskDefinition',
        ],
        resources: ['*'],
      }),
    );
    f.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ecs:TagResource'],
        resources: [taskDefinitionArn],
        conditions: { StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } },
      }),
    );
    f.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        // The execution role, and the job roles workers may name: runlater-job-*, with or without a path.
        resources: [
          parts.executionRole.roleArn,
          stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: 'runlater-job-*' }),
          stack.formatArn({
            service: 'iam',
            region: '',
            resource: 'role',
            resourceName: '*/runlater-job-*',
          }),
        ],
        conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      }),
    );
  }
  // Reading a private image's ENTRYPOINT/CMD from the account's ECR (RegistryClient): the token,
  // then the manifest (BatchGetImage) and the config blob (GetDownloadUrlForLayer).
  api.addToRolePolicy(new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }));
  api.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
      resources: [stack.formatArn({ service: 'ecr', resource: 'repository', resourceName: '*' })],
    }),
  );
  // The API reads job output and deletes a deleted job's output stream; the dispatcher reads a
  // pipeline source's stdout (stdinFrom).
  runlater.jobLogGroup.grant(api, 'logs:GetLogEvents', 'logs:DeleteLogStream');
  runlater.jobLogGroup.grant(dispatcher, 'logs:GetLogEvents');
}
