/**
 * How the local output path performs (issue 9, defect 2): run with
 *   npx tsx bench/localLogs.ts
 * against the local Docker engine. It runs a job writing 200 MiB of numbered lines, then times a
 * 10-line page at the end of it, watches this process's memory while four readers page it, and
 * measures the CPU this process spends while a follower reads a job printing 500 lines a second.
 * The dev server runs in this process, so every figure is the server's (and the client's).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunlaterClient } from '../client/RunlaterClient.ts';
import { startDevServer } from '../local/devServer.ts';
import { ensureTestImages } from '../test/support/images.ts';

const LINES = 204_800;
const NUMBERS = `awk "BEGIN{p=sprintf(\\"%1015s\\",\\"\\"); for(i=1;i<=${LINES};i++) printf \\"%07d %s\\n\\", i, p}"`;
const FOLLOW_SECONDS = Number(process.env.FOLLOW_SECONDS ?? 30);
const TICKS = `i=0; while [ $i -lt ${FOLLOW_SECONDS * 10} ]; do seq $((i*50+1)) $((i*50+50)); i=$((i+1)); usleep 100000; done`;

const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  await ensureTestImages();
  const dataDir = await mkdtemp(join(tmpdir(), 'runlater-bench-'));
  const server = await startDevServer({ port: 0, dataDir, token: 'bench' });
  const client = new RunlaterClient({ url: server.url, token: server.token });
  try {
    await client.createWorker({
      name: 'numbers',
      image: 'runlater-test/busybox',
      command: ['sh', '-c', NUMBERS],
    });
    await client.createWorker({
      name: 'ticks',
      image: 'runlater-test/busybox',
      command: ['sh', '-c', TICKS],
    });

    let started = Date.now();
    const big = await client.submitJob({ worker: 'numbers' });
    const done = await client.waitForJob(big.id, { timeoutMs: 600_000 });
    const jobSeconds = (Date.now() - started) / 1000;

    const lastPage: number[] = [];
    for (let i = 0; i < 20; i++) {
      started = performance.now();
      const page = await client.getLogs(big.id, { cursor: String(LINES - 10), limit: 10 });
      lastPage.push(performance.now() - started);
      if (page.lines.length !== 10) throw new Error(`the last page has ${page.lines.length} lines`);
    }

    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    started = performance.now();
    await Promise.all(
      [0, 1, 2, 3].map(async (r) => {
        for (let i = 0; i < 25; i++) {
          const cursor = Math.floor(((r * 25 + i) / 100) * (LINES - 10));
          await client.getLogs(big.id, { cursor: String(cursor), limit: 10 });
        }
      }),
    );
    const fourReadersMs = performance.now() - started;
    clearInterval(sampler);

    const cpuBefore = process.cpuUsage();
    started = Date.now();
    const ticks = await client.submitJob({ worker: 'ticks' });
    let followed = 0;
    for await (const _line of client.followLogs(ticks.id)) followed += 1;
    const cpu = process.cpuUsage(cpuBefore);
    const followSeconds = (Date.now() - started) / 1000;

    console.log(
      JSON.stringify(
        {
          bigJob: { status: done.status, seconds: jobSeconds, lines: LINES, bytes: LINES * 1024 },
          lastPageMs: { median: median(lastPage), max: Math.max(...lastPage) },
          fourReaders: { pages: 100, ms: Math.round(fourReadersMs), rssGrowthMiB: mib(peak - rssBefore) },
          follow500LinesPerSecond: {
            lines: followed,
            seconds: followSeconds,
            cpuSecondsPerMinute: ((cpu.user + cpu.system) / 1e6 / followSeconds) * 60,
          },
        },
        null,
        2,
      ),
    );
  } finally {
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
