import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { TABLES } from '../../lambdas/adapters/dynamodb/tables.ts';
import { startEmbeddedDynamo } from '../../local/embeddedDynamo.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const KILLS = 5;

/** `runlater dev` as a user runs it, in a child process we can kill -9. */
function startDev(dataDir: string, port: number, token: string): ChildProcess {
  return spawn(process.execPath, ['bin/runlater.mjs', 'dev'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      RUNLATER_DATA_DIR: dataDir,
      RUNLATER_TOKEN: token,
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
}

async function waitUntil(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

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
  const port = 20000 + Math.floor(Math.random() * 2000);
  const token = `phantom-crash-${Date.now()}`;
  const url = `http://127.0.0.1:${port}`;
  let dataDir = '';
  let child: ChildProcess | undefined;
  after(async () => {
    child?.kill('SIGKILL');
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  async function restart(): Promise<void> {
    child = startDev(dataDir, port, token);
    await waitUntil('the dev server', 60_000, async () => (await fetch(`${url}/v1/health`)).ok);
  }

  async function kill(): Promise<void> {
    const exited = new Promise((r) => child!.once('exit', r));
    child!.kill('SIGKILL');
    await exited;
  }

  it('leaves no phantom job: none listed, none read as 404, none left in an index', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'runlater-phantom-crash-'));
    await restart();
    const worker = await api('POST', '/v1/workers', { name: 'later', image: 'runlater-test/busybox' });
    assert.equal(worker.status, 201, JSON.stringify(worker.body));

    const acknowledged: string[] = [];
    let phantomsSeen = 0;
    for (let round = 0; round < KILLS; round++) {
      if (round > 0) await restart();
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
      await waitUntil('some answers', 30_000, async () => answered >= 10 + round * 7);
      await kill();
      stop = true;
      await Promise.all(clients);
      phantomsSeen += (await phantomsIn(dataDir)).length;
    }
    console.log(
      `${KILLS} kills during POSTs: ${acknowledged.length} jobs acknowledged, ${phantomsSeen} phantom entries left`,
    );

    await restart();
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
    await kill();
    child = undefined;
    assert.deepEqual(await phantomsIn(dataDir), [], 'no index entry without its job remains');
  });
});
