import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ensureTestImages } from '../support/images.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const FINAL = ['succeeded', 'failed', 'timed_out', 'cancelled'];

/** `runlater dev` as a user runs it, in a child process we can kill -9. */
function startDev(dataDir: string, port: number, token: string): ChildProcess {
  const child = spawn(process.execPath, ['bin/runlater.mjs', 'dev'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      RUNLATER_DATA_DIR: dataDir,
      RUNLATER_TOKEN: token,
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => (err = (err + String(d)).slice(-4000)));
  child.on('exit', (code, signal) => {
    if (code) console.error(`dev server exited ${code}: ${err}`);
    void signal;
  });
  return child;
}

async function waitUntil<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('durability: kill -9 of the dev server while jobs run', () => {
  const port = 18000 + Math.floor(Math.random() * 2000);
  const token = `durability-${Date.now()}`;
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

  it('loses no job and runs none to completion twice', async () => {
    await ensureTestImages();
    dataDir = await mkdtemp(join(tmpdir(), 'runlater-durability-'));
    const since = Math.floor(Date.now() / 1000) - 1;
    child = startDev(dataDir, port, token);
    await waitUntil('the dev server', 60_000, async () => (await fetch(`${url}/v1/health`)).ok || undefined);

    await api('POST', '/v1/workers', {
      name: 'slow',
      image: 'runlater-test/busybox',
      command: ['sh', '-c', 'echo "start $RUNLATER_JOB_ID"; sleep 3; echo "done $RUNLATER_JOB_ID"'],
    });
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await api('POST', '/v1/jobs', { worker: 'slow' })).id);

    // Kill while some run: wait until at least one is running, and none has finished yet.
    await waitUntil('a running job', 30_000, async () => {
      const { jobs } = await api('GET', '/v1/jobs?limit=50');
      return jobs.some((j: any) => j.status === 'running') ? true : undefined;
    });
    const atKill = (await api('GET', '/v1/jobs?limit=50')).jobs.map((j: any) => j.status);
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    // The kill must land mid-flight for the test to mean anything: jobs still running and queued.
    assert.ok(
      atKill.filter((s: string) => !FINAL.includes(s)).length >= 10,
      `at the kill: ${atKill.join(' ')}`,
    );

    child = startDev(dataDir, port, token);
    await waitUntil(
      'the restarted dev server',
      60_000,
      async () => (await fetch(`${url}/v1/health`)).ok || undefined,
    );

    const finals = await waitUntil('every job to reach a final state', 180_000, async () => {
      const jobs = await Promise.all(ids.map((id) => api('GET', `/v1/jobs/${id}`)));
      return jobs.every((j) => FINAL.includes(j.status)) ? jobs : undefined;
    });
    for (const job of finals) {
      assert.equal(job.status, 'succeeded', `${job.id}: ${job.status} ${job.error}`);
      assert.equal(job.attempt, 1, `${job.id} ran one attempt`);
      const logs = await api('GET', `/v1/jobs/${job.id}/logs?limit=100`);
      assert.deepEqual(
        logs.lines.map((l: any) => l.text),
        [`start ${job.id}`, `done ${job.id}`],
      );
    }

    // Docker's own record: exactly one container started per job.
    const until = Math.floor(Date.now() / 1000) + 1;
    const events = execFileSync(
      'docker',
      [
        'events',
        '--since',
        String(since),
        '--until',
        String(until),
        '--filter',
        'event=start',
        '--filter',
        'label=runlater.job',
        '--format',
        '{{index .Actor.Attributes "runlater.job"}}',
      ],
      { encoding: 'utf8' },
    )
      .split('\n')
      .filter((l) => ids.includes(l));
    for (const id of ids) assert.equal(events.filter((e) => e === id).length, 1, `job ${id} started once`);
  });
});
