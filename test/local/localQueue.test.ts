import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { ensureTable, startEmbeddedDynamo, type EmbeddedDynamo } from '../../local/embeddedDynamo.ts';
import { LocalQueue } from '../../local/LocalQueue.ts';
import { waitFor } from '../support/waitFor.ts';

const until = (what: string, timeoutMs: number, done: () => boolean | Promise<boolean>) =>
  waitFor(what, done, { timeoutMs, intervalMs: 20 });

describe('the local queue has the SQS semantics the dispatcher relies on', () => {
  let dynamo: EmbeddedDynamo;
  let n = 0;
  before(async () => {
    dynamo = await startEmbeddedDynamo(undefined);
  });
  after(() => dynamo.close());

  async function queueWith(
    consumer: (e: SQSEvent) => Promise<SQSBatchResponse | void>,
    options: { visibilityTimeoutSeconds?: number; maxReceiveCount?: number; concurrency?: number } = {},
    doc: DynamoDBDocumentClient = dynamo.doc,
  ) {
    const tableName = `queue-${++n}`;
    await ensureTable(dynamo.client, tableName, { partitionKey: 'id', indexes: [] });
    const queue = new LocalQueue({ doc, tableName, consumer, ...options });
    await queue.start();
    return queue;
  }

  it('delivers a message at once, and a delayed one not before its delay', async () => {
    const seen: { attempt: number; at: number }[] = [];
    const queue = await queueWith(async (e) => {
      for (const r of e.Records) seen.push({ attempt: JSON.parse(r.body).attempt, at: Date.now() });
    });
    const sent = Date.now();
    await queue.send({ jobId: 'a', attempt: 1 }, 0);
    await queue.send({ jobId: 'a', attempt: 2 }, 1);
    await until('both messages', 5000, () => seen.length === 2);
    await queue.stop();
    assert.equal(seen[0]!.attempt, 1);
    assert.ok(seen[0]!.at - sent < 1000);
    assert.equal(seen[1]!.attempt, 2);
    assert.ok(seen[1]!.at - sent >= 1000, `delayed message came after ${seen[1]!.at - sent} ms`);
  });

  it('redelivers a failed record after its visibility timeout, and deletes the others', async () => {
    const receives: Record<string, number[]> = {};
    const queue = await queueWith(
      async (e) => {
        const failures = [];
        for (const r of e.Records) {
          const { jobId } = JSON.parse(r.body);
          (receives[jobId] ??= []).push(Number(r.attributes.ApproximateReceiveCount));
          if (jobId === 'flaky' && receives[jobId]!.length === 1)
            failures.push({ itemIdentifier: r.messageId });
        }
        return { batchItemFailures: failures };
      },
      { visibilityTimeoutSeconds: 1 },
    );
    await queue.send({ jobId: 'flaky', attempt: 1 }, 0);
    await queue.send({ jobId: 'fine', attempt: 1 }, 0);
    await until('the redelivery', 5000, () => (receives.flaky?.length ?? 0) === 2);
    await new Promise((r) => setTimeout(r, 1300));
    await queue.stop();
    assert.deepEqual(receives, { flaky: [1, 2], fine: [1] });
    assert.deepEqual(await queue.depth(), { visible: 0, delayedOrInFlight: 0, dead: 0 });
  });

  it('moves a message that keeps failing to the dead-letter state', async () => {
    let receives = 0;
    const queue = await queueWith(
      async () => {
        receives++;
        throw new Error('always fails');
      },
      { visibilityTimeoutSeconds: 0, maxReceiveCount: 3 },
    );
    const origError = console.error;
    console.error = () => {};
    try {
      await queue.send({ jobId: 'poison', attempt: 1 }, 0);
      await until('the dead-letter state', 5000, () => receives === 3);
      let depth = await queue.depth();
      for (let i = 0; i < 50 && depth.dead === 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        depth = await queue.depth();
      }
      await queue.stop();
      assert.deepEqual(depth, { visible: 0, delayedOrInFlight: 0, dead: 1 });
      assert.equal(receives, 3);
    } finally {
      console.error = origError;
    }
  });

  it('keeps messages across a restart, and redelivers those in flight at once', async () => {
    const tableName = `queue-${++n}`;
    await ensureTable(dynamo.client, tableName, { partitionKey: 'id', indexes: [] });
    let release: () => void = () => {};
    const first = new LocalQueue({
      doc: dynamo.doc,
      tableName,
      visibilityTimeoutSeconds: 3600,
      consumer: () => new Promise<void>((r) => (release = r)), // "crashes" mid-batch: never answers in time
    });
    await first.start();
    let received = false;
    const origConsumer = first['options'].consumer;
    first['options'].consumer = async (e) => {
      received = true;
      return origConsumer(e);
    };
    await first.send({ jobId: 'x', attempt: 1 }, 0);
    await first.send({ jobId: 'y', attempt: 1 }, 3600);
    await until('the first receive', 5000, () => received);
    // A new process over the same table, as after kill -9: the in-flight message comes again now.
    const seen: string[] = [];
    const second = new LocalQueue({
      doc: dynamo.doc,
      tableName,
      consumer: async (e) => void seen.push(...e.Records.map((r) => JSON.parse(r.body).jobId)),
    });
    await second.start();
    await until('the redelivery after restart', 5000, () => seen.includes('x'));
    assert.deepEqual(
      await second.depth(),
      { visible: 0, delayedOrInFlight: 1, dead: 0 },
      'the delayed one waits',
    );
    await second.stop();
    release();
    await first.stop();
  });

  it('does no work while its messages wait, however many there are', async () => {
    // Counts the calls the queue makes to its table.
    let calls = 0;
    const counting = {
      send: (command: never) => (calls++, dynamo.doc.send(command)),
    } as DynamoDBDocumentClient;
    const seen: string[] = [];
    const queue = await queueWith(
      async (e) => void seen.push(JSON.parse(e.Records[0]!.body).jobId),
      {},
      counting,
    );
    for (let i = 0; i < 300; i++) await queue.send({ jobId: `later-${i}`, attempt: 1 }, 3600);
    await queue.send({ jobId: 'soon', attempt: 1 }, 1);
    const afterSends = calls;
    await until('the one due message', 5000, () => seen.includes('soon'));
    // Received (1 write) and deleted (1 write): nothing read the 300 that are not due.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(calls - afterSends, 2);
    assert.deepEqual(seen, ['soon']);
    assert.deepEqual(await queue.depth(), { visible: 0, delayedOrInFlight: 300, dead: 0 });
    await queue.stop();
  });

  it('handles messages as a sliding window: a slow one does not hold back the rest', async () => {
    let releaseSlow: () => void = () => {};
    const done: string[] = [];
    const queue = await queueWith(
      async (e) => {
        const { jobId } = JSON.parse(e.Records[0]!.body);
        if (jobId === 'slow') await new Promise<void>((r) => (releaseSlow = r));
        done.push(jobId);
      },
      { concurrency: 2 },
    );
    await queue.send({ jobId: 'slow', attempt: 1 }, 0);
    for (let i = 0; i < 5; i++) await queue.send({ jobId: `quick-${i}`, attempt: 1 }, 0);
    await until('the quick ones, through the one free slot', 5000, () => done.length === 5);
    // Each is deleted just after its handler returns: only the slow one stays in flight.
    await until('only the slow one in flight', 5000, async () =>
      isDeepStrictEqual(await queue.depth(), { visible: 0, delayedOrInFlight: 1, dead: 0 }),
    );
    releaseSlow();
    await until('the slow one', 5000, () => done.length === 6);
    await queue.stop();
    assert.deepEqual(await queue.depth(), { visible: 0, delayedOrInFlight: 0, dead: 0 });
  });

  it('brings a failed message back after the wait its consumer asks for, not the visibility timeout', async () => {
    const receivedAt: number[] = [];
    const ref: { queue?: LocalQueue } = {};
    const queue = (ref.queue = await queueWith(
      async (e) => {
        const r = e.Records[0]!;
        receivedAt.push(Date.now());
        if (receivedAt.length > 1) return { batchItemFailures: [] };
        await ref.queue!.retryAfter(r.receiptHandle, 1);
        return { batchItemFailures: [{ itemIdentifier: r.messageId }] };
      },
      { visibilityTimeoutSeconds: 3600 },
    ));
    await queue.send({ jobId: 'retried', attempt: 1 }, 0);
    await until('the second delivery', 5000, () => receivedAt.length === 2);
    await queue.stop();
    const gap = receivedAt[1]! - receivedAt[0]!;
    assert.ok(gap >= 1000 && gap < 3000, `came back after ${gap} ms`);
    assert.deepEqual(await queue.depth(), { visible: 0, delayedOrInFlight: 0, dead: 0 });
  });
});
