import { createHash } from 'node:crypto';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { FUNCTION_NAMES, type FunctionName } from '../../../lambdas/entrypoints/functionEnv.ts';
import { RunLaterStack, type RunLaterStackProps } from '../../../lib/RunLaterStack.ts';

export const REGION = 'eu-west-1';
export const ACCOUNT = '123456789012';

type Json = unknown;
interface Resource {
  Type: string;
  Properties?: Record<string, Json>;
}
export interface PolicyDocument {
  Version?: string;
  Statement: Record<string, Json>[];
}

/**
 * A synthesized template read as AWS would deploy it: every CloudFormation reference replaced by
 * a well-formed placeholder name or ARN of the right service (stable per logical id), so function
 * environments and IAM policies can be used as values: env for the handlers, policies for the
 * IAM simulator, and both name the same resources.
 */
export class SynthesizedStack {
  readonly resources: Record<string, Resource>;

  constructor(
    readonly template: Record<string, Json>,
    readonly stackName = 'RunLater',
  ) {
    this.resources = template.Resources as Record<string, Resource>;
  }

  /** Synthesizes lib/RunLaterStack.ts offline, without bundling (the template only). */
  static synth(props: RunLaterStackProps = {}, stackName = 'RunLater'): SynthesizedStack {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new RunLaterStack(app, stackName, props);
    return new SynthesizedStack(Template.fromStack(stack).toJSON(), stackName);
  }

  /** The logical id of a runlater function: `RunLater<Name>Function…`. */
  functionId(name: FunctionName): string {
    const prefix = `RunLater${name[0]!.toUpperCase()}${name.slice(1)}Function`;
    const ids = Object.keys(this.resources).filter(
      (id) => id.startsWith(prefix) && this.resources[id]!.Type === 'AWS::Lambda::Function',
    );
    if (ids.length !== 1) throw new Error(`expected one function ${prefix}*, found ${ids.join(', ')}`);
    return ids[0]!;
  }

  /** A function's environment as deployed, references resolved. */
  functionEnv(name: FunctionName): Record<string, string> {
    const props = this.resources[this.functionId(name)]!.Properties!;
    const vars = (props.Environment as { Variables?: Record<string, Json> } | undefined)?.Variables ?? {};
    return Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, String(this.resolve(v))]));
  }

  functionRoleId(name: FunctionName): string {
    const role = this.resources[this.functionId(name)]!.Properties!.Role as {
      'Fn::GetAtt': [string, string];
    };
    return role['Fn::GetAtt'][0];
  }

  roleIdStartingWith(prefix: string): string {
    const ids = Object.keys(this.resources).filter(
      (id) => id.startsWith(prefix) && this.resources[id]!.Type === 'AWS::IAM::Role',
    );
    if (ids.length !== 1) throw new Error(`expected one role ${prefix}*, found ${ids.join(', ')}`);
    return ids[0]!;
  }

  roleArn(roleId: string): string {
    return this.resolve({ 'Fn::GetAtt': [roleId, 'Arn'] }) as string;
  }

  /** Every identity policy attached to a role (inline and AWS::IAM::Policy), resolved. */
  rolePolicies(roleId: string): { name: string; policy: PolicyDocument }[] {
    const out: { name: string; policy: PolicyDocument }[] = [];
    const role = this.resources[roleId]!.Properties ?? {};
    for (const p of (role.Policies as { PolicyName: string; PolicyDocument: Json }[] | undefined) ?? [])
      out.push({ name: p.PolicyName, policy: this.resolve(p.PolicyDocument) as PolicyDocument });
    for (const [id, r] of Object.entries(this.resources)) {
      if (r.Type !== 'AWS::IAM::Policy') continue;
      const roles = (r.Properties!.Roles as { Ref: string }[]).map((x) => x.Ref);
      if (roles.includes(roleId))
        out.push({ name: id, policy: this.resolve(r.Properties!.PolicyDocument) as PolicyDocument });
    }
    return out;
  }

  get functionNames(): readonly FunctionName[] {
    return FUNCTION_NAMES;
  }

  /** Evaluates the intrinsic functions CDK uses, with placeholders for what only a deploy knows. */
  resolve(value: Json): Json {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value === null || typeof value !== 'object') return value;
    const obj = value as Record<string, Json>;
    const keys = Object.keys(obj);
    if (keys.length === 1) {
      const [k] = keys as [string];
      const arg = obj[k];
      if (k === 'Ref') return this.ref(arg as string);
      if (k === 'Fn::GetAtt') {
        const [id, attr] = (typeof arg === 'string' ? arg.split('.') : arg) as [string, string];
        return this.getAtt(id, attr);
      }
      if (k === 'Fn::Join') {
        const [sep, parts] = arg as [string, Json[]];
        return (this.resolve(parts) as Json[]).join(sep);
      }
      if (k === 'Fn::Select') {
        const [i, list] = arg as [number | string, Json];
        return (this.resolve(list) as Json[])[Number(i)];
      }
      if (k === 'Fn::Split') {
        const [sep, text] = arg as [string, Json];
        return String(this.resolve(text)).split(sep);
      }
      if (k === 'Fn::Sub') {
        const [text, vars] = (typeof arg === 'string' ? [arg, {}] : arg) as [string, Record<string, Json>];
        return text.replace(/\$\{([^}]+)\}/g, (_, name: string) =>
          String(
            name in vars
              ? this.resolve(vars[name])
              : name.includes('.')
                ? this.getAtt(...(name.split('.') as [string, string]))
                : this.ref(name),
          ),
        );
      }
    }
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, this.resolve(v)]));
  }

  private ref(id: string): Json {
    const pseudo: Record<string, string> = {
      'AWS::Region': REGION,
      'AWS::AccountId': ACCOUNT,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': this.stackName,
    };
    if (id in pseudo) return pseudo[id];
    const r = this.resources[id];
    if (!r) throw new Error(`unknown reference ${id}`);
    const name = this.physicalName(id);
    switch (r.Type) {
      case 'AWS::SQS::Queue':
        return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}`;
      case 'AWS::EC2::Subnet':
      case 'AWS::EC2::VPC':
      case 'AWS::EC2::SecurityGroup':
        return `${r.Type === 'AWS::EC2::Subnet' ? 'subnet' : r.Type === 'AWS::EC2::VPC' ? 'vpc' : 'sg'}-${hash(id, 17)}`;
      case 'AWS::Scheduler::ScheduleGroup':
        return this.resolve(r.Properties!.Name);
      default:
        return name;
    }
  }

  private getAtt(id: string, attr: string): Json {
    const r = this.resources[id];
    if (!r) throw new Error(`unknown resource ${id}`);
    const name = String(this.ref(id));
    const arn = (service: string, resource: string, region = REGION) =>
      `arn:aws:${service}:${region}:${ACCOUNT}:${resource}`;
    if (attr === 'Arn') {
      switch (r.Type) {
        case 'AWS::DynamoDB::Table':
          return arn('dynamodb', `table/${name}`);
        case 'AWS::SQS::Queue':
          return arn('sqs', this.physicalName(id));
        case 'AWS::S3::Bucket':
          return `arn:aws:s3:::${name}`;
        case 'AWS::ECS::Cluster':
          return arn('ecs', `cluster/${name}`);
        case 'AWS::IAM::Role':
          return arn('iam', `role/${name}`, '');
        case 'AWS::Lambda::Function':
          return arn('lambda', `function:${name}`);
        case 'AWS::Logs::LogGroup':
          return arn('logs', `log-group:${name}:*`);
        case 'AWS::Scheduler::ScheduleGroup':
          return arn('scheduler', `schedule-group/${name}`);
        case 'AWS::SNS::Topic':
          return name;
      }
    }
    // A table's stream: its label is the time it was enabled, known only after a deploy.
    if (attr === 'StreamArn' && r.Type === 'AWS::DynamoDB::Table')
      return arn('dynamodb', `table/${name}/stream/2026-11-26T00:00:00.000`);
    if (attr === 'GroupId') return name;
    if (attr === 'QueueName') return this.physicalName(id);
    if (attr === 'QueueUrl') return name;
    throw new Error(`no placeholder for ${id}.${attr} (${r.Type})`);
  }

  /** A name as CloudFormation makes them: stack, logical id, random suffix (lower case for S3). */
  private physicalName(id: string): string {
    const r = this.resources[id]!;
    if (r.Type === 'AWS::SNS::Topic') return `arn:aws:sns:${REGION}:${ACCOUNT}:${this.stackName}-${id}`;
    const name = `${this.stackName}-${id.slice(0, 40)}-${hash(id, 12).toUpperCase()}`;
    return r.Type === 'AWS::S3::Bucket' ? name.toLowerCase() : name;
  }
}

function hash(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}
