import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { TABLES } from '../../lambdas/adapters/dynamodb/tables.ts';
import { startEmbeddedDynamo } from '../../local/embeddedDynamo.ts';
import { DevProcess } from '../support/devProcess.ts';
import { waitFor } from '../support/waitFor.ts';

const KILLS = 5;

/**
 * Index entries with no job, read from the data dir's database while no server runs: what a kill
 * inside dynalite's PutItem (index entries first, item last) leaves behind.
 */
async function phantomsIn(dataDir: string): Promise<string[]> {
  const dynamo = await startEmbeddedDynamo(join(dataDir, 'db'));
  try {
    const table = dynamo.tableNames.jobs;
    const items = new Set<string>();
    let start: Record<string, unknown> | undefined;
    do {
      const page = await dynamo.doc.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
      for (const item of page.Items ?? []) items.add(item.id as string);
      start = page.LastEvaluatedKey;
    } while (start);
    const phantoms = new Set<string>();
    for (const index of TABLES.jobs.indexes) {
      let from: Record<string, unknown> | undefined;
      do {
        const page = await dynamo.doc.send(
          new ScanCommand({ TableName: table, IndexName: index.name, ExclusiveStartKey: from }),
        );
        for (const entry of page.Items ?? [])
          if (!items.has(entry.id as string)) phantoms.add(entry.id as string);
        from = page.LastEvaluatedKey;
      } while (from);
    }
    return [...phantoms];
  } finally {
    await dynamo.close();
  }
}

describe('durability: kill -9 of the dev server during POST /v1/jobs', () => {
  let dev: DevProcess | undefined;
  after(() => dev?.close());

  it('leaves no phantom job: none listed, none read as 404, none left in an index', async () => {
    dev = await DevProcess.create('phantom-crash');
    const { dataDir } = dev;
    const api = dev.request.bind(dev);
    await dev.start();
    const worker = await api('POST', '/v1/workers', { name: 'later', image: 'runlater-test/busybox' });
    assert.equal(worker.status, 201, JSON.stringify(worker.body));

    const acknowledged: string[] = [];
    let phantomsSeen = 0;
    for (let round = 0; round < KILLS; round++) {
      if (round > 0) await dev.start();
      // Eight clients POST without pause; the kill lands after a few answers, while others write.
      let stop = false;
      let answered = 0;
      const clients = Array.from({ length: 8 }, async () => {
        for (let n = 0; n < 200 && !stop; n++) {
          // Delayed jobs: they stay queued, so no container runs and listings stay stable.
          const res = await api('POST', '/v1/jobs', { worker: 'later', delaySeconds: 86400 }).catch(
            () => undefined,
          );
          if (!res) return;
          if (res.status === 202) acknowledged.push(res.body.id);
          answered++;
        }
      });
      await waitFor('some answers', () => answered >= 10 + round * 7, { timeoutMs: 30_000 });
      await dev.kill();
      stop = true;
      await Promise.all(clients);
      phantomsSeen += (await phantomsIn(dataDir)).length;
    }
    console.log(
      `${KILLS} kills during POSTs: ${acknowledged.length} jobs acknowledged, ${phantomsSeen} phantom entries left`,
    );

    await dev.start();
    // Every listing a user (or the reconciler) makes shows only jobs that can be read.
    for (const query of ['', 'status=queued', 'worker=later']) {
      const listed: string[] = [];
      let cursor = '';
      for (let page = 0; page < 100; page++) {
        const { status, body } = await api(
          'GET',
          `/v1/jobs?limit=200&${query}${cursor ? `&cursor=${cursor}` : ''}`,
        );
        assert.equal(status, 200, JSON.stringify(body));
        listed.push(...body.jobs.map((j: { id: string }) => j.id));
        if (!body.nextCursor) break;
        cursor = body.nextCursor;
      }
      for (const id of acknowledged)
        assert.ok(listed.includes(id), `acknowledged job ${id} is listed (${query})`);
      for (const id of listed)
        assert.equal((await api('GET', `/v1/jobs/${id}`)).status, 200, `listed ${id} reads`);
    }
    await dev.kill();
    assert.deepEqual(await phantomsIn(dataDir), [], 'no index entry without its job remains');
  });
});
