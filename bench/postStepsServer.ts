/**
 * `runlater dev` with a stopwatch on each step of a request: started by bench/postSteps.ts in its
 * own process (as a user runs the server), it wraps the steps' methods before the server is built,
 * then serves until SIGTERM and writes every step's durations to the file named by argv[3].
 * Bench only: nothing here runs in the product.
 */
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const [dataDir, outFile, port] = process.argv.slice(2) as [string, string, string];
const samples = new Map<string, number[]>();
const note = (step: string, ms: number) => {
  let list = samples.get(step);
  if (!list) samples.set(step, (list = []));
  list.push(ms);
};

/** Wraps an async method so each call's duration is noted under `step`. */
function time(proto: object, method: string, step: string): void {
  const target = proto as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const inner = target[method]!;
  target[method] = async function (this: unknown, ...args: unknown[]) {
    const t = performance.now();
    try {
      return await inner.apply(this, args);
    } finally {
      note(step, performance.now() - t);
    }
  };
}

// dynalite's own work per action (validation done, from the action's start to its answer): its
// action modules are replaced in the require cache before dynalite loads them.
for (const action of ['getItem', 'putItem', 'updateItem', 'batchWriteItem']) {
  const path = require.resolve(`dynalite/actions/${action}.js`);
  const fn = require(path) as (store: unknown, data: unknown, cb: (...a: unknown[]) => void) => void;
  require.cache[path]!.exports = (
    store: unknown,
    data: { TableName?: string },
    cb: (...a: unknown[]) => void,
  ) => {
    const t = performance.now();
    fn(store, data, (...a) => {
      note(`dynalite ${action} ${data.TableName ?? ''}`, performance.now() - t);
      cb(...a);
    });
  };
}

// The whole request as the dev server sees it: from 'request' to the response's 'finish'.
const http = require('node:http') as typeof import('node:http');
const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function (this: import('node:http').Server, event: string, ...args: unknown[]) {
  const address = this.address();
  if (event === 'request' && typeof address === 'object' && address?.port === Number(port)) {
    const [req, res] = args as [import('node:http').IncomingMessage, import('node:http').ServerResponse];
    const t = performance.now();
    res.once('finish', () => note(`request ${req.method} ${req.url?.split('?')[0]}`, performance.now() - t));
  }
  return emit.apply(this, [event, ...args] as Parameters<typeof emit>);
} as typeof emit;

const { DynamoDBDocumentClient } = await import('@aws-sdk/lib-dynamodb');
const send = DynamoDBDocumentClient.prototype.send;
DynamoDBDocumentClient.prototype.send = async function (this: unknown, command: unknown, ...rest: unknown[]) {
  const t = performance.now();
  try {
    return await (send as (...a: unknown[]) => Promise<unknown>).call(this, command, ...rest);
  } finally {
    const c = command as { constructor: { name: string }; input?: { TableName?: string } };
    note(`sdk ${c.constructor.name} ${c.input?.TableName ?? ''}`, performance.now() - t);
  }
} as typeof send;

const { CachingTokenStore } = await import('../lambdas/handlers/http/CachingTokenStore.ts');
const { DynamoWorkerStore } = await import('../lambdas/adapters/dynamodb/DynamoWorkerStore.ts');
const { DynamoJobStore } = await import('../lambdas/adapters/dynamodb/DynamoJobStore.ts');
const { JobService } = await import('../lambdas/core/JobService.ts');
const { LocalQueue } = await import('../local/LocalQueue.ts');
time(CachingTokenStore.prototype, 'get', 'core: token lookup');
time(DynamoWorkerStore.prototype, 'get', 'core: worker lookup (dynamo)');
const { CachingWorkerStore } = await import('../local/CachingWorkerStore.ts');
time(CachingWorkerStore.prototype, 'get', 'core: worker lookup');
time(DynamoJobStore.prototype, 'create', 'core: job create');
time(DynamoJobStore.prototype, 'claimIdempotencyKey', 'core: idempotency claim');
time(LocalQueue.prototype, 'send', 'core: queue send');
time(JobService.prototype, 'submit', 'core: JobService.submit (all of the above)');

// What stalls every request at once: event-loop blocks and garbage collection pauses.
const { monitorEventLoopDelay, PerformanceObserver } = await import('node:perf_hooks');
const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();
new PerformanceObserver((list) => {
  for (const e of list.getEntries())
    note(`gc pause (kind ${(e as { detail?: { kind?: number } }).detail?.kind})`, e.duration);
}).observe({ entryTypes: ['gc'] });
const { startDevServer } = await import('../local/devServer.ts');
const server = await startDevServer({ dataDir, port: Number(port) });
process.stdout.write(`${JSON.stringify({ url: server.url, token: server.token })}\n`);
process.once('SIGTERM', () => {
  note('event loop delay p50 (one value)', loop.percentile(50) / 1e6);
  note('event loop delay p99 (one value)', loop.percentile(99) / 1e6);
  note('event loop delay max (one value)', loop.max / 1e6);
  writeFileSync(outFile, JSON.stringify(Object.fromEntries(samples)));
  void server.close().finally(() => process.exit(0));
});
