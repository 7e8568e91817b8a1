import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeDevLog } from '../../local/devLog.ts';
import { ensureTestImages } from '../support/images.ts';
import { waitFor } from '../support/waitFor.ts';

// `runlater dev --log-format json` as a user starts it: its output lines and its /metrics.

const ROOT = new URL('../..', import.meta.url).pathname;
const TOKEN = 'observability-token';

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as AddressInfo;
  await new Promise((r) => probe.close(r));
  return port;
}

/** `runlater dev --log-format json` on a free port; its stdout lines are pushed to `lines`. */
async function startDev(dataDir: string, env: Record<string, string>, lines: string[]) {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['bin/runlater.mjs', 'dev', '--port', String(port), '--log-format', 'json'],
    {
      cwd: ROOT,
      env: { ...process.env, HOME: dataDir, RUNLATER_DATA_DIR: dataDir, RUNLATER_TOKEN: TOKEN, ...env },
    },
  );
  let rest = '';
  child.stdout!.on('data', (d) => {
    const parts = (rest + String(d)).split('\n');
    rest = parts.pop()!;
    lines.push(...parts);
  });
  await waitFor('the dev server to listen', () => lines.some((l) => l.includes('listening on')), {
    timeoutMs: 60_000,
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

const stop = async (child: ChildProcess) => {
  child.kill('SIGTERM');
  await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
};

describe('the dev server logs and metrics', () => {
  let dir: string;
  let child: ChildProcess;
  let url: string;
  const lines: string[] = [];
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const final = (id: string) =>
    waitFor(
      `job ${id} to end`,
      async () => {
        const { body } = await api('GET', `/v1/jobs/${id}`);
        return ['succeeded', 'failed', 'timed_out', 'cancelled'].includes(body.status) && body;
      },
      { timeoutMs: 120_000 },
    );
  const scrape = async () => (await fetch(`${url}/metrics`)).text();
  const events = () => lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));

  before(async () => {
    await ensureTestImages();
    dir = await mkdtemp(join(tmpdir(), 'runlater-observe-'));
    ({ child, url } = await startDev(join(dir, 'data'), {}, lines));
    for (const [name, script] of [
      ['ok', 'cat >/dev/null'],
      ['bad', 'exit 3'],
      ['slow', 'sleep 60'],
    ] as const) {
      const made = await api('POST', '/v1/workers', {
        name,
        image: 'runlater-test/busybox',
        command: ['sh', '-c', script],
      });
      assert.equal(made.status, 201, JSON.stringify(made.body));
    }
  });
  after(async () => {
    if (child) await stop(child);
    await rm(dir, { recursive: true, force: true });
  });

  it('logs each request and each transition of a job as one JSON line', async () => {
    const { body: job } = await api('POST', '/v1/jobs', { worker: 'ok', stdin: 'x' });
    await final(job.id);
    const transitions = await waitFor('the final transition line', () => {
      const seen = events().filter((e) => e.event === 'job' && e.jobId === job.id);
      return seen.at(-1)?.transition === 'finish' && seen;
    });
    // A job this short may end before its running event is recorded: markRunning is optional.
    assert.deepEqual(
      transitions
        .map((e: any) => `${e.transition}:${e.from}→${e.to}`)
        .filter((t: string) => !t.startsWith('markRunning')),
      [
        'create:null→queued',
        'startAttempt:queued→starting',
        'recordTask:starting→starting',
        `finish:${transitions.at(-1).from}→succeeded`,
      ],
    );
    assert.deepEqual(transitions[0], {
      time: transitions[0].time,
      event: 'job',
      transition: 'create',
      jobId: job.id,
      worker: 'ok',
      attempt: job.attempt,
      from: null,
      to: 'queued',
    });
    const post = events().find((e) => e.event === 'request' && e.method === 'POST' && e.path === '/v1/jobs');
    assert.deepEqual(Object.keys(post ?? {}), ['time', 'event', 'method', 'path', 'status', 'durationMs']);
    assert.equal(post.status, 202);
  });

  it('serves Prometheus metrics: final statuses, queued and running per worker, wait and run time', async () => {
    const { body: failed } = await api('POST', '/v1/jobs', { worker: 'bad' });
    await final(failed.id);
    const { body: later } = await api('POST', '/v1/jobs', { worker: 'ok', delaySeconds: 3600 });
    const { body: slow } = await api('POST', '/v1/jobs', { worker: 'slow' });
    await waitFor(
      'the slow job to run',
      async () => (await api('GET', `/v1/jobs/${slow.id}`)).body.status === 'running',
      {
        timeoutMs: 120_000,
      },
    );

    const text = await scrape();
    const has = (line: string) => assert.ok(text.split('\n').includes(line), `no "${line}" in\n${text}`);
    has('runlater_jobs_finished_total{worker="ok",status="succeeded"} 1');
    has('runlater_jobs_finished_total{worker="bad",status="failed"} 1');
    has('runlater_jobs_queued{worker="ok"} 1');
    has('runlater_jobs_running{worker="slow"} 1');
    has('runlater_job_queue_wait_seconds_count{worker="ok"} 1');
    has('runlater_job_run_duration_seconds_count{worker="bad",status="failed"} 1');
    assert.match(text, /# TYPE runlater_dispatch_errors_total counter/);

    await api('POST', `/v1/jobs/${slow.id}/cancel`);
    await api('POST', `/v1/jobs/${later.id}/cancel`);
    await final(slow.id);
    const after = await scrape();
    assert.ok(after.includes('runlater_jobs_finished_total{worker="slow",status="cancelled"} 1'), after);
    assert.ok(!after.includes('runlater_jobs_running{worker="slow"}'), after);
  });

  it('counts launches that fail: here, with Docker out of reach', async () => {
    const noDocker = await startDev(
      join(dir, 'no-docker'),
      { DOCKER_HOST: `unix://${join(dir, 'no.sock')}` },
      [],
    );
    try {
      const call = (method: string, path: string, body?: unknown) =>
        fetch(noDocker.url + path, {
          method,
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
      await call('POST', '/v1/workers', { name: 'w', image: 'runlater-test/busybox' });
      const job = (await (await call('POST', '/v1/jobs', { worker: 'w' })).json()) as { id: string };
      await waitFor('the failed launch to be counted', async () => {
        const text = await (await fetch(`${noDocker.url}/metrics`)).text();
        return /^runlater_dispatch_errors_total\{reason="unavailable"\} [1-9]/m.test(text);
      });
      // The job is not at fault: it waits for Docker, neither failed nor started.
      const { status } = (await (await call('GET', `/v1/jobs/${job.id}`)).json()) as { status: string };
      assert.ok(['queued', 'starting'].includes(status), status);
    } finally {
      await stop(noDocker.child);
    }
  });

  it('writes the same events as text lines for a person', () => {
    const out: string[] = [];
    const log = makeDevLog('text', (l) => out.push(l));
    log.request({ method: 'GET', path: '/v1/jobs', status: 200, durationMs: 3 });
    const job = { id: 'j1', worker: 'w', attempt: 1, status: 'failed', exitCode: 3, error: null } as any;
    log.transition({ transition: 'finish', from: 'running', job });
    assert.match(out[0]!, /^\S+Z GET \/v1\/jobs 200 3ms\n$/);
    assert.match(out[1]!, /^\S+Z job j1 w attempt 1: finish running → failed exitCode=3\n$/);
  });
});
