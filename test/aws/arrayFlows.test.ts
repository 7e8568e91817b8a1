import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RunTaskCommand, type RunTaskCommandInput } from '@aws-sdk/client-ecs';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { startedFlows, mocks } from './support/flowHarness.ts';

const { ecs, s3, sqs } = mocks;

/**
 * An array as AWS runs it (support/flowHarness.ts): the API stores the parent and sends one
 * message, the dispatcher makes the children and sends theirs through SQS, RunTask starts each
 * with its index, the status function ends them and wakes the parent, which ends succeeded.
 * Every call is held against the synthesized IAM policies at the end.
 */
describe('AWS flows: a job array, from one POST to its parent succeeded', () => {
  const flows = startedFlows();

  /** The dispatch messages sent since the last look, as SQS would deliver them. */
  let seen = 0;
  function newMessages(): { jobId: string; attempt: number; settle?: true }[] {
    const calls = sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
    const fresh = calls.slice(seen).filter((m) => m.QueueUrl === flows.queueUrl);
    seen = calls.length;
    return fresh.map((m) => JSON.parse(m.MessageBody!));
  }
  async function deliver(message: object) {
    const event = flows.sqsEvent('unused');
    event.Records[0]!.body = JSON.stringify(message);
    assert.deepEqual(await flows.dispatcher(event), { batchItemFailures: [] });
  }

  it('splits a stdin kept in S3 into lines, runs each child with its index, and settles the parent', async () => {
    const long = 'y'.repeat(4000);
    const stdin = `short\n${long}\nlast`;
    const stored = new Map<string, Uint8Array>();
    s3.on(PutObjectCommand).callsFake((input: { Key: string; Body: Uint8Array }) => {
      stored.set(input.Key, Buffer.from(input.Body));
      return {};
    });
    s3.on(GetObjectCommand).callsFake((input: { Key: string }) => ({
      Body: { transformToByteArray: async () => stored.get(input.Key)! },
    }));
    sqs.on(SendMessageCommand).resolves({});
    ecs.on(RunTaskCommand).callsFake((input: RunTaskCommandInput) => ({
      tasks: [{ taskArn: flows.taskArnOf(input.startedBy!.split('_')[0]!) }],
    }));

    const event = flows.apiEvent('POST', '/v1/jobs', { worker: 'w', stdin, array: { split: 'lines' } });
    event.headers['idempotency-key'] = 'array-flow';
    const created = await flows.apiRaw(event);
    assert.equal(created.statusCode, 202, created.body);
    const parent = JSON.parse(created.body!).id as string;
    assert.ok(stored.has(`stdin/${parent}`), "the parent's stdin (over 3 KiB) went to S3");
    assert.deepEqual(newMessages(), [{ jobId: parent, attempt: 1 }]);
    // A retry of the POST answers the same parent and makes nothing new.
    const replay = await flows.apiRaw(event);
    assert.equal(replay.statusCode, 200);
    assert.equal(JSON.parse(replay.body!).id, parent);
    newMessages();

    await deliver({ jobId: parent, attempt: 1 });
    // Sent in parallel: in any order.
    const children = newMessages().sort((a, b) => a.jobId.localeCompare(b.jobId));
    assert.deepEqual(
      children,
      [0, 1, 2].map((i) => ({ jobId: `${parent}-${i}`, attempt: 1 })),
    );
    // The long line is over the inline size: the dispatcher put it in S3 for that child alone.
    assert.deepEqual(Buffer.from(stored.get(`stdin/${parent}-1`)!).toString(), `${long}\n`);

    for (const message of children) await deliver(message);
    const runs = ecs.commandCalls(RunTaskCommand).map((c) => c.args[0].input);
    assert.equal(runs.length, 3);
    for (const [i, run] of runs.entries()) {
      const env = Object.fromEntries(
        run.overrides!.containerOverrides!.flatMap((c) => c.environment ?? []).map((e) => [e.name, e.value]),
      );
      assert.equal(env.RUNLATER_ARRAY_INDEX, String(i));
      assert.equal(env.RUNLATER_ARRAY_SIZE, '3');
      assert.equal(env.RUNLATER_JOB_ID, `${parent}-${i}`);
    }

    for (const { jobId } of children)
      await flows.taskStatus(
        flows.taskEvent(jobId, 'STOPPED', { exitCode: 0, stopCode: 'EssentialContainerExited' }),
      );
    const settles = newMessages();
    assert.deepEqual(settles, Array(3).fill({ jobId: parent, attempt: 1, settle: true }));
    for (const message of settles) await deliver(message);

    const done = await flows.call('GET', `/v1/jobs/${parent}`);
    assert.equal(done.body.status, 'succeeded', done.body.error);
    assert.equal(done.body.array.counts.succeeded, 3);
    const listed = await flows.call('GET', `/v1/jobs?parent=${parent}&status=succeeded&limit=2`);
    assert.deepEqual(
      listed.body.jobs.map((j: { arrayIndex: number }) => j.arrayIndex),
      [0, 1],
    );
    assert.ok(listed.body.nextCursor);
  });

  it('the reconciler wakes a running parent whose settle was lost', async () => {
    sqs.on(SendMessageCommand).resolves({});
    const event = flows.apiEvent('POST', '/v1/jobs', { worker: 'w', array: { size: 1 } });
    const parent = JSON.parse((await flows.apiRaw(event)).body!).id as string;
    newMessages();
    await deliver({ jobId: parent, attempt: 1 });
    const [child] = newMessages();
    await deliver(child!);
    await flows.taskStatus(
      flows.taskEvent(child!.jobId, 'STOPPED', { exitCode: 0, stopCode: 'EssentialContainerExited' }),
    );
    newMessages(); // the settle message, lost
    await flows.reconcileNow();
    const sent = newMessages();
    assert.deepEqual(sent, [{ jobId: parent, attempt: 1, settle: true }]);
    await deliver(sent[0]!);
    assert.equal((await flows.call('GET', `/v1/jobs/${parent}`)).body.status, 'succeeded');
  });

  it("every AWS call above is allowed by its function's synthesized IAM policies", async () => {
    const verdicts = await flows.iamVerdicts();
    const denied = verdicts
      .filter((v) => v.result !== 'Allowed')
      .map((v) => `${v.who}: ${v.request.action} on ${v.request.resource} → ${v.result}`);
    assert.deepEqual(denied, []);
    const actions = new Set(verdicts.map((v) => `${v.who} ${v.request.action}`));
    for (const pair of [
      'api dynamodb:PutItem',
      'dispatcher s3:GetObject',
      'dispatcher s3:PutObject',
      'dispatcher dynamodb:Query',
      'dispatcher sqs:SendMessage',
      'dispatcher ecs:RunTask',
      'taskStatus sqs:SendMessage',
      'reconciler sqs:SendMessage',
    ])
      assert.ok(actions.has(pair), `${pair} was exercised`);
  });
});
