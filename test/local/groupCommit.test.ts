import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SQSEvent } from 'aws-lambda';
import { ensureTable, startEmbeddedDynamo, type EmbeddedDynamo } from '../../local/embeddedDynamo.ts';
import { GroupCommit } from '../../local/GroupCommit.ts';
import { LocalQueue } from '../../local/LocalQueue.ts';

/** A writer whose writes finish when the test says so. */
function heldWriter() {
  const writes: { items: number[]; finish: (err?: Error) => void }[] = [];
  const write = (items: number[]) =>
    new Promise<void>((resolve, reject) =>
      writes.push({ items, finish: (err) => (err ? reject(err) : resolve()) }),
    );
  return { writes, write };
}

const settled = async (p: Promise<unknown>) => {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((r) => setImmediate(r));
  return done;
};

describe('GroupCommit', () => {
  it('writes items at once while a writer is free', async () => {
    const { writes, write } = heldWriter();
    const commit = new GroupCommit(write, 2);
    const both = [commit.add(1), commit.add(2)];
    assert.deepEqual(
      writes.map((w) => w.items),
      [[1], [2]],
    );
    for (const w of writes) w.finish();
    await Promise.all(both);
  });

  it('items that came while every writer was busy go together in the next write', async () => {
    const { writes, write } = heldWriter();
    const commit = new GroupCommit(write, 1);
    const first = commit.add(1);
    const rest = [2, 3, 4].map((n) => commit.add(n));
    assert.deepEqual(
      writes.map((w) => w.items),
      [[1]],
    );
    writes[0]!.finish();
    await first;
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(
      writes.map((w) => w.items),
      [[1], [2, 3, 4]],
    );
    assert.equal(await settled(rest[0]!), false, 'no item is acknowledged before its write is done');
    writes[1]!.finish();
    await Promise.all(rest);
  });

  it('a failed write fails the callers it held, and the next items are written anew', async () => {
    const { writes, write } = heldWriter();
    const commit = new GroupCommit(write, 1);
    const first = commit.add(1);
    const second = commit.add(2);
    writes[0]!.finish(new Error('disk full'));
    await assert.rejects(first, /disk full/);
    await new Promise((r) => setImmediate(r));
    writes[1]!.finish();
    await second;
    const third = commit.add(3);
    assert.deepEqual(
      writes.map((w) => w.items),
      [[1], [2], [3]],
    );
    writes[2]!.finish();
    await third;
  });
});

describe('the local queue writes concurrent sends together', () => {
  let dynamo: EmbeddedDynamo;
  before(async () => {
    dynamo = await startEmbeddedDynamo(undefined);
    await ensureTable(dynamo.client, 'queue-group', { partitionKey: 'id', indexes: [] });
  });
  after(() => dynamo.close());

  it('every acknowledged send is stored: a queue started anew on the table delivers each once', async () => {
    // The first queue hands back whatever it receives, so every message is still stored when it stops.
    const sender = new LocalQueue({
      doc: dynamo.doc,
      tableName: 'queue-group',
      consumer: async (e: SQSEvent) => ({
        batchItemFailures: e.Records.map((r) => ({ itemIdentifier: r.messageId })),
      }),
    });
    await sender.start();
    await Promise.all(Array.from({ length: 60 }, (_, i) => sender.send({ jobId: `j${i}`, attempt: 1 }, 0)));
    await sender.stop();

    const seen: string[] = [];
    const receiver = new LocalQueue({
      doc: dynamo.doc,
      tableName: 'queue-group',
      consumer: async (e: SQSEvent) => {
        for (const r of e.Records) seen.push(JSON.parse(r.body).jobId);
      },
    });
    await receiver.start();
    const deadline = Date.now() + 30_000;
    while (seen.length < 60 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await receiver.stop();
    assert.deepEqual([...seen].sort(), Array.from({ length: 60 }, (_, i) => `j${i}`).sort());
  });
});
