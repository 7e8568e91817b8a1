import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { Context } from 'aws-lambda';
import { FUNCTION_NAMES } from '../../lambdas/entrypoints/functionEnv.ts';
import { instrumented, observability } from '../../lambdas/entrypoints/observability.ts';
import { RunLater, type RunLaterProps } from '../../lib/RunLater.ts';
import { SynthesizedStack } from './support/synthesized.ts';

const templateOf = (props: RunLaterProps = {}) => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'S');
  new RunLater(stack, 'RunLater', props);
  return Template.fromStack(stack);
};

describe('observability on AWS', () => {
  const stack = SynthesizedStack.synth();

  for (const name of FUNCTION_NAMES)
    it(`traces the ${name} function with X-Ray (active tracing)`, () => {
      const fn = stack.resources[stack.functionId(name)]!;
      assert.deepEqual(fn.Properties!.TracingConfig, { Mode: 'Active' });
    });

  it("graphs the API's 4xx, 5xx and latency, and the dispatcher's retried and failed launches", () => {
    const bodies = Object.values(templateOf().findResources('AWS::CloudWatch::Dashboard'));
    assert.equal(bodies.length, 1);
    const body = JSON.stringify(bodies[0]!.Properties.DashboardBody);
    for (const metric of [
      '4xx',
      '5xx',
      'Latency',
      'DispatchRetried',
      'DispatchFailed',
      'JobsFinished',
      'RunDuration',
    ])
      assert.match(body, new RegExp(`\\\\"${metric}\\\\"`), metric);
  });

  it('graphs jobs started, queue wait and start latency', () => {
    const bodies = Object.values(templateOf().findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(bodies[0]!.Properties.DashboardBody);
    for (const metric of ['JobsStarted', 'QueueWait', 'StartLatency'])
      // The SEARCH expression names the metric inside escaped quotes: MetricName=\"QueueWait\".
      assert.match(body, new RegExp(String.raw`MetricName=[\\"]+${metric}[\\"]`), metric);
  });

  it('leaves the dashboard out when asked, alarms still on', () => {
    const template = templateOf({ dashboard: false });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    assert.ok(Object.keys(template.findResources('AWS::CloudWatch::Alarm')).length >= 12);
  });

  it('puts the Lambda context on every log line of an invocation', async () => {
    const o = observability('runlater-test');
    // Whatever level the test run sets, these two are written.
    o.logger.setLogLevel('WARN');
    const handler = instrumented(o, async () => {
      o.logger.warn('one');
      o.logger.error('two');
    });
    const lines: string[] = [];
    // Powertools writes warnings and errors to stderr, the rest to stdout.
    const streams = [process.stdout, process.stderr];
    const writes = streams.map((s) => s.write);
    for (const s of streams)
      s.write = ((chunk: string) => (lines.push(String(chunk)), true)) as typeof s.write;
    try {
      await handler({}, {
        functionName: 'runlater-api',
        functionVersion: '$LATEST',
        invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:runlater-api',
        memoryLimitInMB: '512',
        awsRequestId: 'req-1',
      } as Context);
    } finally {
      streams.forEach((s, i) => (s.write = writes[i]!));
    }
    const logged = lines
      .flatMap((l) => l.split('\n'))
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      logged.map((l) => l.message),
      ['one', 'two'],
    );
    for (const l of logged) {
      assert.equal(l.function_request_id, 'req-1');
      assert.equal(l.function_name, 'runlater-api');
      assert.equal(typeof l.cold_start, 'boolean');
    }
  });
});
