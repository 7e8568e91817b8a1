import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoJobStore } from '../../lambdas/adapters/dynamodb/DynamoJobStore.ts';
import { JOB_INDEX } from '../../lambdas/adapters/dynamodb/tables.ts';
import { newJobId } from '../../lambdas/core/ids.ts';
import type { StoredJob } from '../../lambdas/core/ports.ts';
import { startEmbeddedDynamo } from '../../local/embeddedDynamo.ts';
import { jobFixture } from '../support/fixtures.ts';

const require = createRequire(import.meta.url);

/** A queued job as the store keeps it. */
function storedJob(worker: string): StoredJob {
  return {
    ...jobFixture({ id: newJobId(), worker }),
    stdin: { bytes: 0, inlineBase64: '' },
    retry: { maxAttempts: 1, backoff: 'none', jitter: true },
    taskId: null,
  };
}

/**
 * Leaves what a kill -9 inside dynalite's PutItem leaves: dynalite writes a new item's index
 * entries first and the item last, so a crash between them keeps the entries and loses the item.
 * dynalite's own LevelDB layer (with the server stopped) deletes just the item.
 */
async function deleteItemOnly(path: string, tableName: string, id: string): Promise<void> {
  const dynaliteDb = require('dynalite/db') as {
    create(o: { path: string }): {
      getTable(name: string, cb: (err: Error | null, table: unknown) => void): void;
      getItemDb(name: string): { del(key: string, cb: (err?: Error) => void): void };
      db: { close(cb: (err?: Error) => void): void };
    };
    createKey(item: Record<string, unknown>, table: unknown): string;
  };
  const store = dynaliteDb.create({ path });
  const table = await new Promise<unknown>((res, rej) =>
    store.getTable(tableName, (err, t) => (err ? rej(err) : res(t))),
  );
  const key = dynaliteDb.createKey({ id: { S: id } }, table);
  await new Promise<void>((res, rej) => store.getItemDb(tableName).del(key, (e) => (e ? rej(e) : res())));
  await new Promise<void>((res, rej) => store.db.close((e) => (e ? rej(e) : res())));
}

describe('phantom jobs: index entries whose job was never written', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('are not listed (by any index), not read, and their entries are removed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'runlater-phantom-'));
    dirs.push(dir);
    const path = join(dir, 'db');
    let dynamo = await startEmbeddedDynamo(path);
    const table = dynamo.tableNames.jobs;
    let store = new DynamoJobStore(dynamo.doc, table);
    const real = storedJob('phantoms');
    const phantom = storedJob('phantoms');
    await store.create(real);
    await store.create(phantom);
    await dynamo.close();
    await deleteItemOnly(path, table, phantom.id);

    dynamo = await startEmbeddedDynamo(path);
    store = new DynamoJobStore(dynamo.doc, table);
    const indexIds = async (index: string, key: string, value: string) =>
      (
        await dynamo.doc.send(
          new QueryCommand({
            TableName: table,
            IndexName: index,
            KeyConditionExpression: '#k = :v',
            ExpressionAttributeNames: { '#k': key },
            ExpressionAttributeValues: { ':v': value },
          }),
        )
      ).Items!.map((i) => i.id as string);
    try {
      // The crash left its mark: the index still names the phantom.
      assert.ok((await indexIds(JOB_INDEX.byStatus, 'status', 'queued')).includes(phantom.id));
      assert.equal(await store.get(phantom.id), undefined);

      for (const query of [{}, { status: 'queued' as const }, { worker: 'phantoms' }]) {
        const { jobs } = await store.list({ ...query, limit: 50 });
        assert.deepEqual(
          jobs.map((j) => j.id),
          [real.id],
          `list ${JSON.stringify(query)} shows the real job only`,
        );
      }
      // Listing removed the phantom's entries from every index; the real job keeps its own.
      assert.deepEqual(await indexIds(JOB_INDEX.all, 'kind', 'job'), [real.id]);
      assert.deepEqual(await indexIds(JOB_INDEX.byWorker, 'worker', 'phantoms'), [real.id]);
      assert.deepEqual(await indexIds(JOB_INDEX.byStatus, 'status', 'queued'), [real.id]);
      assert.equal(await store.get(phantom.id), undefined);
    } finally {
      await dynamo.close();
    }
  });
});
