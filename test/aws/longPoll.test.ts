import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RunTaskCommand } from '@aws-sdk/client-ecs';
import type { Context } from 'aws-lambda';
import { startedFlows, mocks } from './support/flowHarness.ts';

/**
 * The long-poll as the API function runs it on AWS: nothing tells it a job changed, so it reads
 * DynamoDB (dynalite here) again with a backoff, within the wait and the invocation's time left.
 */
describe('GET /v1/jobs/{id}?waitSeconds=N on AWS', () => {
  const flows = startedFlows();

  it('answers with the final job once the status function has recorded its end', async () => {
    const id = await flows.queuedJob();
    const waiting = flows.call('GET', `/v1/jobs/${id}?waitSeconds=20`);
    mocks.ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: flows.taskArnOf(id) }] });
    await flows.dispatcher(flows.sqsEvent(id));
    await flows.taskStatus(flows.taskEvent(id, 'RUNNING'));
    const stopped = await Promise.race([waiting, new Promise((r) => setTimeout(() => r('early'), 50))]);
    assert.equal(stopped, 'early', 'still waiting while the job runs');
    await flows.taskStatus(
      flows.taskEvent(id, 'STOPPED', { exitCode: 0, stopCode: 'EssentialContainerExited' }),
    );
    const res = await waiting;
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'succeeded');
  });

  it('answers before the invocation runs out of time, with the job as it is', async () => {
    const id = await flows.queuedJob();
    // 3.5 s left of the function's time: the wait of 20 s is cut to what leaves time to answer.
    const end = Date.now() + 3500;
    const context = { getRemainingTimeInMillis: () => end - Date.now() } as Context;
    const res = await flows.call('GET', `/v1/jobs/${id}?waitSeconds=20`, undefined, context);
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'queued');
    assert.ok(Date.now() < end, 'answered while the invocation still had time');
  });
});
