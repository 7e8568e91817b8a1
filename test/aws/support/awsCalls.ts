import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';
import { ACCOUNT, REGION, type SynthesizedStack } from './synthesized.ts';

/** One request AWS authorizes: who asks (a function, or the execution or scheduler role), what, on what. */
export interface IamRequest {
  who: string;
  action: string;
  resource: string;
  context: Record<string, string>;
}

type Sendable = { prototype: object };

/**
 * Records every AWS SDK call a handler makes, as the IAM requests AWS would authorize: each
 * client class's send is wrapped (after aws-sdk-client-mock stubbed it, or around the real one
 * for DynamoDB, which dynalite serves), and each call is put down to the function running it.
 */
export class AwsCallRecorder {
  readonly requests: IamRequest[] = [];
  private readonly running: string[] = [];
  /** Task definitions registered so far, by family: RunTask passes their roles. */
  private readonly definitions = new Map<string, RegisterTaskDefinitionCommandInput>();

  instrument(...clients: Sendable[]): void {
    for (const client of clients) {
      const proto = client.prototype as { send: (...args: unknown[]) => unknown };
      const inner = proto.send;
      const note = (command: unknown) =>
        this.noteCommand(command as { constructor: { name: string }; input: Record<string, unknown> });
      proto.send = function (this: unknown, command: unknown, ...rest: unknown[]) {
        note(command);
        return inner.call(this, command, ...rest);
      };
    }
  }

  /** Runs `work` as function `who`: the calls it makes are that function's. */
  async as<T>(who: string, work: () => Promise<T>): Promise<T> {
    this.running.push(who);
    try {
      return await work();
    } finally {
      this.running.pop();
    }
  }

  /** A request made outside the SDK (a registry GET with an ECR token, a presigned URL). */
  note(request: Omit<IamRequest, 'who'>, who = this.running.at(-1)): void {
    if (who) this.requests.push({ who, ...request });
  }

  private noteCommand(command: { constructor: { name: string }; input: Record<string, unknown> }): void {
    if (this.running.length === 0) return; // test setup, not a handler
    for (const r of this.toRequests(command.constructor.name.replace(/Command$/, ''), command.input))
      this.note(r);
  }

  private toRequests(name: string, input: Record<string, unknown>): Omit<IamRequest, 'who'>[] {
    const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;
    const req = (action: string, resource: string, context: Record<string, string> = {}) => ({
      action,
      resource,
      context,
    });
    const dynamo: Record<string, string> = {
      Get: 'GetItem',
      Put: 'PutItem',
      Update: 'UpdateItem',
      Delete: 'DeleteItem',
      Query: 'Query',
      Scan: 'Scan',
    };
    if (name === 'BatchGet')
      return Object.keys(input.RequestItems as object).map((table) =>
        req('dynamodb:BatchGetItem', arn('dynamodb', `table/${table}`)),
      );
    if (name in dynamo) {
      const index = input.IndexName ? `/index/${String(input.IndexName)}` : '';
      return [req(`dynamodb:${dynamo[name]}`, arn('dynamodb', `table/${String(input.TableName)}${index}`))];
    }
    const cluster = String(input.cluster ?? '');
    const clusterName = cluster.split('/').pop()!;
    switch (name) {
      case 'SendMessage':
        return [req('sqs:SendMessage', arn('sqs', String(input.QueueUrl).split('/').pop()!))];
      case 'PutEvents':
        return (input.Entries as { EventBusName?: string }[]).map((e) =>
          req('events:PutEvents', arn('events', `event-bus/${e.EventBusName ?? 'default'}`)),
        );
      case 'PutObject':
      case 'GetObject':
      case 'DeleteObject':
        return [req(`s3:${name}`, `arn:aws:s3:::${String(input.Bucket)}/${String(input.Key)}`)];
      case 'GetAuthorizationToken':
        return [req('ecr:GetAuthorizationToken', '*')];
      case 'GetLogEvents':
        return [
          req(
            'logs:GetLogEvents',
            arn('logs', `log-group:${String(input.logGroupName)}:log-stream:${String(input.logStreamName)}`),
          ),
        ];
      case 'CreateSchedule':
      case 'UpdateSchedule':
      case 'DeleteSchedule': {
        const out = [
          req(
            `scheduler:${name}`,
            arn('scheduler', `schedule/${String(input.GroupName)}/${String(input.Name)}`),
          ),
        ];
        const target = input.Target as { Arn: string; RoleArn: string } | undefined;
        if (target) {
          out.push(req('iam:PassRole', target.RoleArn, { 'iam:PassedToService': 'scheduler.amazonaws.com' }));
          // What the Scheduler then does with that role, when the schedule fires.
          const action = target.Arn.startsWith('arn:aws:lambda:')
            ? 'lambda:InvokeFunction'
            : 'sqs:SendMessage';
          this.note({ action, resource: target.Arn, context: {} }, `role:${target.RoleArn}`);
        }
        return out;
      }
      case 'RegisterTaskDefinition':
        return this.registerRequests(input as unknown as RegisterTaskDefinitionCommandInput);
      case 'DeregisterTaskDefinition':
      case 'ListTaskDefinitions':
      case 'DescribeTaskDefinition':
        return [req(`ecs:${name}`, '*')];
      case 'RunTask': {
        const family = String(input.taskDefinition);
        const taskArn = arn('ecs', `task/${clusterName}/0123456789abcdef0123456789abcdef`);
        const out = [
          req('ecs:RunTask', arn('ecs', `task-definition/${family}:1`), { 'ecs:cluster': cluster }),
          req('ecs:TagResource', taskArn, { 'ecs:CreateAction': 'RunTask' }),
        ];
        const def = this.definitions.get(family);
        for (const role of [def?.executionRoleArn, def?.taskRoleArn])
          if (role) out.push(req('iam:PassRole', role, { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' }));
        // The init container fetches large stdin with the URL the dispatcher signed: its permission.
        const overrides = (
          input.overrides as { containerOverrides?: { environment?: { name?: string; value?: string }[] }[] }
        )?.containerOverrides;
        for (const env of overrides?.flatMap((c) => c.environment ?? []) ?? [])
          if (env.name === 'RUNLATER_STDIN_URL') {
            const url = new URL(env.value!);
            out.push(req('s3:GetObject', `arn:aws:s3:::${url.hostname.split('.')[0]}${url.pathname}`));
          }
        // ECS, with the execution role: writes the task's logs.
        if (def)
          for (const r of this.executionRequests(def, clusterName))
            this.note(r, `role:${def.executionRoleArn}`);
        return out;
      }
      case 'StopTask':
        return [req('ecs:StopTask', String(input.task), { 'ecs:cluster': cluster })];
      case 'DescribeTasks':
        return (input.tasks as string[]).map((t) => req('ecs:DescribeTasks', t, { 'ecs:cluster': cluster }));
    }
    throw new Error(`the recorder does not know the IAM of ${name}: teach test/aws/support/awsCalls.ts`);
  }

  private registerRequests(input: RegisterTaskDefinitionCommandInput): Omit<IamRequest, 'who'>[] {
    this.definitions.set(input.family!, input);
    const out: Omit<IamRequest, 'who'>[] = [
      { action: 'ecs:RegisterTaskDefinition', resource: '*', context: {} },
      {
        action: 'ecs:TagResource',
        resource: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${input.family}:1`,
        context: { 'ecs:CreateAction': 'RegisterTaskDefinition' },
      },
    ];
    for (const role of [input.executionRoleArn, input.taskRoleArn])
      if (role)
        out.push({
          action: 'iam:PassRole',
          resource: role,
          context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
        });
    return out;
  }

  /** What ECS does with the execution role for a task: pull the account's ECR images, write awslogs streams. */
  private executionRequests(
    def: RegisterTaskDefinitionCommandInput,
    _cluster: string,
  ): Omit<IamRequest, 'who'>[] {
    const out: Omit<IamRequest, 'who'>[] = [];
    for (const c of def.containerDefinitions ?? []) {
      const ecr = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com\/([^:@]+)/.exec(c.image ?? '');
      if (ecr) {
        const repo = `arn:aws:ecr:${ecr[2]}:${ecr[1]}:repository/${ecr[3]}`;
        out.push({ action: 'ecr:GetAuthorizationToken', resource: '*', context: {} });
        for (const action of [
          'ecr:BatchCheckLayerAvailability',
          'ecr:GetDownloadUrlForLayer',
          'ecr:BatchGetImage',
        ])
          out.push({ action, resource: repo, context: {} });
      }
      const logs = c.logConfiguration?.options;
      if (logs) {
        const stream = `${logs['awslogs-stream-prefix']}/${c.name}/0123456789abcdef0123456789abcdef`;
        const resource = `arn:aws:logs:${logs['awslogs-region']}:${ACCOUNT}:log-group:${logs['awslogs-group']}:log-stream:${stream}`;
        out.push({ action: 'logs:CreateLogStream', resource, context: {} });
        out.push({ action: 'logs:PutLogEvents', resource, context: {} });
      }
    }
    return out;
  }
}

/** The role each `who` stands for in the synthesized stack. */
export function roleOf(stack: SynthesizedStack, who: string): string {
  if (who.startsWith('role:')) {
    const arn = who.slice(5);
    const id = Object.keys(stack.resources).find(
      (id) => stack.resources[id]!.Type === 'AWS::IAM::Role' && stack.roleArn(id) === arn,
    );
    if (!id) throw new Error(`${arn} is no role of the stack`);
    return id;
  }
  return stack.functionRoleId(who as Parameters<SynthesizedStack['functionRoleId']>[0]);
}

/** Evaluates one request against the synthesized policies of its role, with iam-simulate. */
export async function simulate(stack: SynthesizedStack, request: IamRequest): Promise<string> {
  const roleId = roleOf(stack, request.who);
  const result = await runSimulation(
    {
      identityPolicies: stack.rolePolicies(roleId),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: {
        action: request.action,
        principal: stack.roleArn(roleId),
        resource: { resource: request.resource, accountId: ACCOUNT },
        contextVariables: request.context,
      },
    },
    {},
  );
  if (result.resultType === 'error') return `error: ${JSON.stringify(result.errors)}`;
  return result.overallResult;
}
