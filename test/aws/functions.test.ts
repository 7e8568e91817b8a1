import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as sns from 'aws-cdk-lib/aws-sns';
import { FUNCTION_ENV, FUNCTION_NAMES } from '../../lambdas/entrypoints/functionEnv.ts';
import { FUNCTION_SETTINGS } from '../../lib/RunLater.ts';
import { RUNTIME_FACTORIES } from './support/runtimeFactories.ts';
import { ACCOUNT, REGION, SynthesizedStack } from './support/synthesized.ts';
import { simulate } from './support/awsCalls.ts';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RunLater } from '../../lib/RunLater.ts';

/** Each function as the template deploys it, one function at a time. */
describe('each function, as synthesized', () => {
  let stack: SynthesizedStack;
  before(() => {
    stack = SynthesizedStack.synth();
  });

  for (const name of FUNCTION_NAMES) {
    it(`gives ${name} exactly the variables its code declares, and its runtime builds from them alone`, () => {
      const env = stack.functionEnv(name);
      assert.deepEqual(
        Object.keys(env).sort(),
        [...FUNCTION_ENV[name], ...Object.keys(FUNCTION_SETTINGS)].sort(),
      );
      // Only the declared variables (and Lambda's region): the factory must find all it reads there.
      assert.doesNotThrow(() => RUNTIME_FACTORIES[name]({ ...env, AWS_REGION: REGION }));
    });

    it(`refuses to build ${name}'s runtime when one of its variables is missing, naming it`, () => {
      const env = stack.functionEnv(name);
      for (const v of FUNCTION_ENV[name]) {
        const { [v]: _gone, ...rest } = env;
        assert.throws(() => RUNTIME_FACTORIES[name](rest), new RegExp(v));
      }
    });
  }

  it('scopes task definition families to the stack: one stack may not run or tag another stack’s', async () => {
    const other = SynthesizedStack.synth({}, 'RunLater-2');
    assert.equal(stack.functionEnv('dispatcher').TASK_FAMILY_PREFIX, 'RunLater_');
    assert.equal(other.functionEnv('dispatcher').TASK_FAMILY_PREFIX, 'RunLater-2_');
    const cluster = stack.functionEnv('dispatcher').CLUSTER_ARN!;
    const runTask = (family: string) => ({
      who: 'dispatcher',
      action: 'ecs:RunTask',
      resource: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${family}:3`,
      context: { 'ecs:cluster': cluster },
    });
    assert.equal(await simulate(stack, runTask('RunLater_resize')), 'Allowed');
    assert.equal(await simulate(stack, runTask('RunLater-2_resize')), 'ImplicitlyDenied');
  });

  it('sends undeliverable task events to their own dead-letter queue, not the dispatch one', () => {
    const rule = Object.values(stack.resources).find(
      (r) => r.Type === 'AWS::Events::Rule' && JSON.stringify(r.Properties).includes('ECS Task State Change'),
    )!;
    const dlq = (rule.Properties!.Targets as { DeadLetterConfig: { Arn: unknown } }[])[0]!.DeadLetterConfig
      .Arn;
    const queueId = (dlq as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
    assert.match(queueId, /^RunLaterTaskEventsDeadLetterQueue/);
    const dispatchRedrive = JSON.stringify(
      Object.entries(stack.resources).find(([id]) => id.startsWith('RunLaterDispatchQueue'))![1],
    );
    assert.doesNotMatch(dispatchRedrive, new RegExp(queueId));
  });
});

describe('alarms', () => {
  const alarmsOf = (template: Template) =>
    Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);

  it('alarm on each function’s errors and throttles and on every dead-letter queue, all to the stack’s topic', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const s = new Stack(app, 'S');
    new RunLater(s, 'RunLater', { alarmEmail: 'ops@example.com' });
    const template = Template.fromStack(s);
    const topics = Object.keys(template.findResources('AWS::SNS::Topic'));
    assert.equal(topics.length, 1);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
    const alarms = alarmsOf(template);
    for (const name of FUNCTION_NAMES)
      for (const metric of ['Errors', 'Throttles']) {
        const found = alarms.filter(
          (a) =>
            a.MetricName === metric &&
            JSON.stringify(a.Dimensions).includes(
              `RunLater${name[0]!.toUpperCase()}${name.slice(1)}Function`,
            ),
        );
        assert.equal(found.length, 1, `${name} ${metric}`);
        assert.deepEqual(found[0]!.AlarmActions, [{ Ref: topics[0] }]);
      }
    const dlqAlarms = alarms.filter((a) => a.MetricName === 'ApproximateNumberOfMessagesVisible');
    for (const a of dlqAlarms) assert.deepEqual(a.AlarmActions, [{ Ref: topics[0] }]);
    // Every queue that holds what runlater gave up on: dispatches, ECS task events, webhook
    // deliveries, and the stream records that could not become job events.
    const watched = dlqAlarms.map((a) => JSON.stringify(a.Dimensions));
    for (const queue of [
      'DispatchDeadLetterQueue',
      'TaskEventsDeadLetterQueue',
      'DeliveryDeadLetterQueue',
      'JobEventsDeadLetterQueue',
    ])
      assert.equal(watched.filter((d) => d.includes(queue)).length, 1, `an alarm on ${queue}`);
    assert.equal(dlqAlarms.length, 4);
  });

  it('notify a topic given as a prop, and make none of their own', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const s = new Stack(app, 'S');
    const topic = sns.Topic.fromTopicArn(s, 'Ops', 'arn:aws:sns:eu-west-1:123456789012:ops');
    new RunLater(s, 'RunLater', { alarmTopic: topic });
    const template = Template.fromStack(s);
    assert.equal(Object.keys(template.findResources('AWS::SNS::Topic')).length, 0);
    for (const a of alarmsOf(template))
      assert.deepEqual(a.AlarmActions, ['arn:aws:sns:eu-west-1:123456789012:ops']);
  });
});
