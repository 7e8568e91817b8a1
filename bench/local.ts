import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ensureTestImages } from '../test/support/images.ts';
import { FINAL, startDevProcess, waitFinal, type DevProcess } from './devServerProcess.ts';
import { bareServerLatency, DELAYED_JOB, openLoopPosts } from './postLoad.ts';
import { median, ms, pairedRatio, x, type Row } from './stats.ts';

const CLI = fileURLToPath(new URL('../bin/runlater.mjs', import.meta.url));
const IMAGE = 'runlater-test/busybox';
const STDIN = 'hello from the bench\n';

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** `docker run -i --rm` of the same image and stdin: what a job costs with no runner at all. */
function bareDockerRun(): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = execFile('docker', ['run', '-i', '--rm', IMAGE, 'cat'], (err) =>
      err ? reject(err) : resolve(0),
    );
    child.stdin!.end(STDIN);
  });
}

/** Where one job's time went, from the phases its attempt records (ms). */
const phaseLog: Record<string, number>[] = [];
function notePhases(job: any): void {
  const p = job.attempts?.[0]?.phases ?? {};
  const at = (iso?: string) => (iso ? Date.parse(iso) : NaN);
  phaseLog.push({
    'queued → dispatched': at(p.dispatchedAt) - at(job.createdAt),
    'dispatched → started': at(p.startedAt) - at(p.dispatchedAt),
    'started → stopped': at(p.stoppedAt) - at(p.startedAt),
    'stopped → final': at(job.finishedAt) - at(p.stoppedAt),
  });
}

async function oneJob(dev: DevProcess): Promise<void> {
  const { status, body } = await dev.api('POST', '/v1/jobs', { worker: 'bench', stdin: STDIN });
  if (status >= 300) throw new Error(`POST /v1/jobs: ${status} ${JSON.stringify(body)}`);
  const job = await waitFinal(dev, body.id);
  if (job.status !== 'succeeded') throw new Error(`job ended ${job.status}`);
  notePhases(job);
  await dev.api('GET', `/v1/jobs/${body.id}/logs`);
}

function cliRunWait(dev: DevProcess): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [CLI, 'jobs', 'run', 'bench', '--stdin', '-', '--wait'],
      { env: { ...process.env, RUNLATER_URL: dev.url, RUNLATER_TOKEN: dev.token } },
      (err) => (err ? reject(err) : resolve(0)),
    );
    child.stdin!.end(STDIN);
  });
}

/** Runs `count` tasks, `parallel` at a time. */
async function inParallel(count: number, parallel: number, task: () => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        next++;
        await task();
      }
    }),
  );
}

async function hundredJobs(dev: DevProcess): Promise<void> {
  const ids = await Promise.all(
    Array.from(
      { length: 100 },
      async () => (await dev.api('POST', '/v1/jobs', { worker: 'bench', stdin: STDIN })).body.id as string,
    ),
  );
  // Each job long-polled in turn (GET /v1/jobs/{id}?waitSeconds=20): about one read per job, so the
  // bench adds next to nothing to the load of the server it measures (a list of 100 jobs every
  // 200 ms, as before, cost the server more than some of what it measured).
  const deadline = Date.now() + 300_000;
  for (const id of ids) {
    for (;;) {
      if (Date.now() > deadline) throw new Error(`job ${id} not final`);
      const { body } = await dev.api('GET', `/v1/jobs/${id}?waitSeconds=20`);
      if (FINAL.includes(body.status)) break;
    }
  }
}

/** Point 5's end-to-end figures: one job, the CLI, 100 jobs, each paired with bare `docker run`. */
export async function localJobRows(pairs: number, port: number): Promise<Row[]> {
  await ensureTestImages();
  const dev = await startDevProcess(port);
  try {
    const created = await dev.api('POST', '/v1/workers', { name: 'bench', image: IMAGE, command: ['cat'] });
    if (created.status >= 300) throw new Error(`POST /v1/workers: ${JSON.stringify(created.body)}`);
    await oneJob(dev); // warm: image resolved, first container made
    await bareDockerRun();
    const one: number[] = [];
    const bare: number[] = [];
    const cli: number[] = [];
    const bare2: number[] = [];
    for (let i = 0; i < pairs; i++) {
      one.push(await timed(() => oneJob(dev)));
      bare.push(await timed(bareDockerRun));
      cli.push(await timed(() => cliRunWait(dev)));
      bare2.push(await timed(bareDockerRun));
    }
    const many: number[] = [];
    const manyBare: number[] = [];
    for (let i = 0; i < Math.max(1, Math.round(pairs / 3)); i++) {
      many.push(await timed(() => hundredJobs(dev)));
      manyBare.push(await timed(() => inParallel(100, 10, bareDockerRun)));
    }
    const rate = (t: number) => 100_000 / t;
    const phases = Object.keys(phaseLog[0] ?? {}).map(
      (k) => `${k} ${ms(median(phaseLog.slice(1).map((p) => p[k]!)))}`,
    );
    return [
      {
        figure: 'where one local job spends its time (attempt phases, medians)',
        now: phases.join(', '),
        baseline: `docker run -i --rm: ${ms(median(bare))}`,
        ratio: '',
      },
      {
        figure: 'one trivial job, POST → final and logs read (local)',
        now: ms(median(one)),
        baseline: `docker run -i --rm: ${ms(median(bare))}`,
        ratio: x(pairedRatio(one, bare)),
        target: '≤ 1.15×',
      },
      {
        figure: '`runlater jobs run --wait` (CLI)',
        now: ms(median(cli)),
        baseline: `docker run -i --rm: ${ms(median(bare2))}`,
        ratio: x(pairedRatio(cli, bare2)),
        target: '≤ 1.5×',
      },
      {
        figure: '100 jobs at once (local)',
        now: `${rate(median(many)).toFixed(1)} jobs/s`,
        baseline: `100 docker runs, 10 in parallel: ${rate(median(manyBare)).toFixed(1)}/s`,
        ratio: x(1 / pairedRatio(many, manyBare)),
        target: '≥ 0.95×',
      },
    ];
  } finally {
    await dev.stop();
  }
}

/** Dev server idle CPU with 10,000 stored delayed jobs (vs none), and POST /v1/jobs latency at 100 req/s. */
export async function devServerLoadRows(
  port: number,
  delayedJobs: number,
  idleSeconds: number,
): Promise<Row[]> {
  await ensureTestImages();
  const dev = await startDevProcess(port);
  try {
    await dev.api('POST', '/v1/workers', { name: 'bench', image: IMAGE, command: ['cat'] });
    const idleCpu = async () => {
      const before = await dev.cpuSeconds();
      await new Promise((r) => setTimeout(r, idleSeconds * 1000));
      return (100 * ((await dev.cpuSeconds()) - before)) / idleSeconds;
    };
    const empty = await idleCpu();

    // POST latency, open loop: one request every 10 ms for 10 s, whatever the answers take.
    const { p50, p99 } = await openLoopPosts(dev.api, 1000, 10);
    // The machine's own share of the tail: the same loop against a server that does nothing.
    const bare = await bareServerLatency(port + 100);

    // Fill up to `delayedJobs` stored delayed jobs, 20 requests at a time.
    await inParallel(delayedJobs - 1000, 20, () => dev.api('POST', '/v1/jobs', DELAYED_JOB));
    const loaded = await idleCpu();
    return [
      {
        figure: `dev server idle CPU, ${delayedJobs.toLocaleString('en')} stored delayed jobs (${idleSeconds} s)`,
        now: `${loaded.toFixed(1)}% of a core`,
        baseline: `no jobs: ${empty.toFixed(1)}%; issue: 25% at 5,000`,
        ratio: `${(loaded - empty).toFixed(1)} points over empty`,
        target: '≤ 3%',
      },
      {
        figure: 'POST /v1/jobs at 100 req/s (1,000 requests)',
        now: `p50 ${ms(p50)}, p99 ${ms(p99)}`,
        baseline: `a Node server that only answers 202: p50 ${ms(bare.p50)}, p99 ${ms(bare.p99)}`,
        ratio: x(p99 / 25),
        target: 'p99 ≤ 25 ms',
      },
    ];
  } finally {
    await dev.stop();
  }
}
