import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import { ensureTestImages } from '../support/images.ts';
import { waitFor } from '../support/waitFor.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const FINAL = ['succeeded', 'failed', 'timed_out', 'cancelled'];
const run = promisify(execFile);

/** `runlater dev` in a child process we can kill -9; the reconciler runs every 2 s. */
function startDev(dataDir: string, port: number, token: string): ChildProcess {
  return spawn(process.execPath, ['bin/runlater.mjs', 'dev'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      RUNLATER_DATA_DIR: dataDir,
      RUNLATER_TOKEN: token,
      RUNLATER_RECONCILE_SECONDS: '2',
      RUNLATER_VISIBILITY_TIMEOUT_SECONDS: '5',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
}

describe('durability: kill -9 of the dev server while a worker runs at its concurrency limit', () => {
  const port = 20000 + Math.floor(Math.random() * 2000);
  const token = `conc-durability-${Date.now()}`;
  const url = `http://127.0.0.1:${port}`;
  let dataDir = '';
  let child: ChildProcess | undefined;
  after(async () => {
    child?.kill('SIGKILL');
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  async function api(method: string, path: string, body?: unknown): Promise<any> {
    const res = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }
  const healthy = async () => (await fetch(`${url}/v1/health`).catch(() => undefined))?.ok;

  /** This data dir's job containers alive (created or running), per Docker. */
  async function alive(): Promise<number> {
    const { stdout } = await run('docker', [
      'ps',
      '-q',
      '--filter',
      `label=runlater.dataDir=${dataDir}`,
      '--filter',
      'status=created',
      '--filter',
      'status=running',
    ]);
    return stdout.split('\n').filter(Boolean).length;
  }

  it('leaks no slot: every job runs once, never more than the limit at once, and the next jobs still start', async () => {
    await ensureTestImages();
    dataDir = await mkdtemp(join(tmpdir(), 'runlater-conc-durability-'));
    const since = Math.floor(Date.now() / 1000) - 1;
    child = startDev(dataDir, port, token);
    await waitFor('the dev server', healthy, { timeoutMs: 60_000, intervalMs: 200 });
    await api('POST', '/v1/workers', {
      name: 'capped',
      image: 'runlater-test/busybox',
      command: ['sh', '-c', 'sleep 2; echo "done $RUNLATER_JOB_ID"'],
      maxConcurrency: 2,
    });
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push((await api('POST', '/v1/jobs', { worker: 'capped' })).id);

    let most = 0;
    const sample = async () => (most = Math.max(most, await alive()));
    const atKill = await waitFor(
      'two jobs running',
      async () => {
        await sample();
        const stats = await api('GET', '/v1/workers/capped/stats');
        return stats.running === 2 && stats;
      },
      { timeoutMs: 60_000 },
    );
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    // The kill lands mid-flight: two running, the rest held back on their slots.
    assert.ok(atKill.queued >= 4, `at the kill: ${JSON.stringify(atKill)}`);

    child = startDev(dataDir, port, token);
    await waitFor('the restarted dev server', async () => (await sample(), await healthy()), {
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    const finals = await waitFor(
      'every job to end',
      async () => {
        await sample();
        const jobs = await Promise.all(ids.map((id) => api('GET', `/v1/jobs/${id}`)));
        return jobs.every((j) => FINAL.includes(j.status)) && jobs;
      },
      { timeoutMs: 240_000, intervalMs: 100 },
    );
    for (const job of finals) {
      assert.equal(job.status, 'succeeded', `${job.id}: ${job.status} ${job.error}`);
      assert.equal(job.attempt, 1, `${job.id} ran one attempt`);
    }
    assert.ok(most <= 2, `${most} containers alive at once`);

    // No slot leaked: all free once the jobs ended (the reconciler settles one whose release was lost).
    await waitFor(
      'every slot free',
      async () => (await api('GET', '/v1/workers/capped/stats')).slotsInUse === 0,
      {
        timeoutMs: 120_000,
        intervalMs: 500,
      },
    );
    // ...so the next jobs start, both at once.
    const next = [
      (await api('POST', '/v1/jobs', { worker: 'capped' })).id,
      (await api('POST', '/v1/jobs', { worker: 'capped' })).id,
    ];
    const nextFinals = await waitFor(
      'the next jobs',
      async () => {
        const jobs = await Promise.all(next.map((id) => api('GET', `/v1/jobs/${id}`)));
        return jobs.every((j) => FINAL.includes(j.status)) && jobs;
      },
      { timeoutMs: 60_000 },
    );
    assert.deepEqual(
      nextFinals.map((j: any) => j.status),
      ['succeeded', 'succeeded'],
    );

    // Docker's own record: one container started per job.
    const events = execFileSync(
      'docker',
      [
        'events',
        '--since',
        String(since),
        '--until',
        String(Math.floor(Date.now() / 1000) + 1),
        '--filter',
        'event=start',
        '--filter',
        `label=runlater.dataDir=${dataDir}`,
        '--format',
        '{{index .Actor.Attributes "runlater.job"}}',
      ],
      { encoding: 'utf8' },
    )
      .split('\n')
      .filter(Boolean);
    for (const id of [...ids, ...next])
      assert.equal(events.filter((e) => e === id).length, 1, `job ${id} started once`);
  });
});
