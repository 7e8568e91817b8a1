import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { ECSClient, StopTaskCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { FUNCTION_NAMES, type FunctionName } from '../../lambdas/entrypoints/functionEnv.ts';
import { RUNTIME_FACTORIES } from './support/runtimeFactories.ts';
import { REGION, SynthesizedStack } from './support/synthesized.ts';

/** The clients a function makes when its runtime is built, i.e. at cold start: what every invocation uses. */
const AT_INIT: Record<FunctionName, string[]> = {
  api: ['DynamoDBClient'],
  dispatcher: ['DynamoDBClient', 'ECSClient'],
  taskStatus: ['DynamoDBClient'],
  reconciler: ['DynamoDBClient', 'ECSClient'],
  scheduleFire: ['DynamoDBClient'],
  webhookDelivery: ['DynamoDBClient', 'SQSClient'],
  jobEvents: ['EventBridgeClient'],
};

/**
 * The entry points build their runtime with a traceClient (X-Ray) that every SDK client passes
 * through as it is made: recording there shows which clients a cold start makes, and when the
 * others are made.
 */
describe('SDK clients made on first use', () => {
  let stack: SynthesizedStack;
  before(() => {
    stack = SynthesizedStack.synth();
  });
  const built = (name: FunctionName) => {
    const made: string[] = [];
    const runtime = RUNTIME_FACTORIES[name](
      { ...stack.functionEnv(name), AWS_REGION: REGION },
      {
        traceClient: (client) => (made.push((client as object).constructor.name), client),
      },
    );
    return { made, runtime };
  };

  for (const name of FUNCTION_NAMES)
    it(`${name} makes only ${AT_INIT[name].join(' and ')} when it starts`, () => {
      assert.deepEqual(built(name).made.sort(), AT_INIT[name]);
    });

  it('the API makes its ECS client with the first cancel that stops a task, and only once', async () => {
    const ecs = mockClient(ECSClient);
    ecs.on(StopTaskCommand).resolves({});
    const { made, runtime } = built('api');
    const { launcher } = runtime as ReturnType<typeof RUNTIME_FACTORIES.api>;
    await launcher.stop('arn:aws:ecs:eu-west-1:123456789012:task/c/t1', 'cancelled');
    await launcher.stop('arn:aws:ecs:eu-west-1:123456789012:task/c/t2', 'cancelled');
    assert.deepEqual(made, ['DynamoDBClient', 'ECSClient']);
    assert.equal(ecs.commandCalls(StopTaskCommand).length, 2);
    ecs.restore();
  });

  it('the API makes its CloudWatch Logs client with the first log read', async () => {
    const logs = mockClient(CloudWatchLogsClient);
    logs.on(GetLogEventsCommand).resolves({ events: [], nextForwardToken: 'f/1' });
    const { made, runtime } = built('api');
    const reader = (runtime as ReturnType<typeof RUNTIME_FACTORIES.api>).logs;
    assert.deepEqual(made, ['DynamoDBClient']);
    await reader.read({ jobId: 'j', attempt: 1, taskId: 't', stream: 'all', limit: 10 });
    assert.deepEqual(made, ['DynamoDBClient', 'CloudWatchLogsClient']);
    logs.restore();
  });
});
