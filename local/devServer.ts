import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { DynamoConcurrencySlots } from '../lambdas/adapters/dynamodb/DynamoConcurrencySlots.ts';
import { DynamoJobStore } from '../lambdas/adapters/dynamodb/DynamoJobStore.ts';
import { DynamoScheduleStore } from '../lambdas/adapters/dynamodb/DynamoScheduleStore.ts';
import { DynamoTokenStore } from '../lambdas/adapters/dynamodb/DynamoTokenStore.ts';
import { DynamoWorkerStore } from '../lambdas/adapters/dynamodb/DynamoWorkerStore.ts';
import { DockerTaskLauncher } from '../lambdas/adapters/docker/DockerTaskLauncher.ts';
import { HttpWebhookSender } from '../lambdas/adapters/http/HttpWebhookSender.ts';
import { FileSecretStore } from '../lambdas/adapters/local/FileSecretStore.ts';
import { FileStdinStore } from '../lambdas/adapters/local/FileStdinStore.ts';
import { LocalCredentials } from '../lambdas/adapters/local/LocalCredentials.ts';
import { LocalLogReader } from '../lambdas/adapters/local/LocalLogReader.ts';
import { NotifiedJobWatcher } from '../lambdas/adapters/local/NotifiedJobWatcher.ts';
import { LIMITS } from '../lambdas/core/limits.ts';
import { systemClock } from '../lambdas/core/ports.ts';
import { hashToken, newToken, Scope } from '../lambdas/core/tokens.ts';
import { makeApiHandler } from '../lambdas/handlers/api.ts';
import { openApiDocument } from '../lambdas/handlers/openapi.ts';
import { makeDispatcherHandler } from '../lambdas/handlers/dispatcher.ts';
import { withRetryBackoff } from '../lambdas/pacing/retryBackoff.ts';
import { makeReconcilerHandler } from '../lambdas/handlers/reconciler.ts';
import { makeScheduleFireHandler } from '../lambdas/handlers/scheduleFire.ts';
import type { Runtime } from '../lambdas/handlers/runtime.ts';
import { makeWebhookDeliveryHandler } from '../lambdas/handlers/webhookDelivery.ts';
import type { DeliveryMessage } from '../lambdas/core/ports.ts';
import { makeTaskUpdateHandler } from '../lambdas/handlers/taskStatus.ts';
import { toApiGatewayEvent } from './apiGatewayEvent.ts';
import { makeDevLog } from './devLog.ts';
import { DevMetrics } from './devMetrics.ts';
import { ensureTable, startEmbeddedDynamo } from './embeddedDynamo.ts';
import { CachingWorkerStore } from './CachingWorkerStore.ts';
import { instancePool } from './instancePool.ts';
import { LocalQueue } from './LocalQueue.ts';
import { LocalRetention } from './LocalRetention.ts';
import { LocalScheduleTrigger } from './LocalScheduleTrigger.ts';
import { countLaunchFailures } from './countLaunchFailures.ts';

export interface DevServerOptions {
  port?: number;
  host?: string;
  dataDir?: string;
  token?: string;
  /** Seconds a received dispatch message stays invisible before it is redelivered. */
  visibilityTimeoutSeconds?: number;
  /** Seconds between reconciler runs (default 60). */
  reconcileEverySeconds?: number;
  /** One line per request and job change on stdout, as text or JSON (default: none). */
  logFormat?: 'text' | 'json';
}

export interface DevServer {
  url: string;
  token: string;
  dataDir: string;
  close(): Promise<void>;
}

/** A Lambda context for handlers run in-process; they read nothing from it but the request id. */
function lambdaContext(name: string): Context {
  return {
    functionName: name,
    awsRequestId: `local-${Date.now()}`,
    getRemainingTimeInMillis: () => 900_000,
  } as Context;
}

/**
 * `runlater dev`: the same Lambda handlers as on AWS, fed by local stand-ins for AWS: an HTTP
 * server in place of API Gateway, dynalite for DynamoDB, a local queue for SQS, Docker for
 * Fargate (its task updates go to the same recorder as ECS's events), files for S3 and CloudWatch Logs.
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const dataDir = resolve(options.dataDir ?? process.env.RUNLATER_DATA_DIR ?? '.runlater');
  // CloudWatch metrics lines (EMF) mean nothing on one machine: keep them off the console.
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  // The data holds env values and output: for this user alone. The umask covers what libraries
  // write (LevelDB's files); the chmod, a data directory made by an earlier version.
  process.umask(0o077);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await chmod(dataDir, 0o700);
  const dynamo = await startEmbeddedDynamo(join(dataDir, 'db'));
  const queueTable = 'runlater-dispatch-queue';
  await ensureTable(dynamo.client, queueTable, { partitionKey: 'id', indexes: [] });
  const deliveryQueueTable = 'runlater-delivery-queue';
  await ensureTable(dynamo.client, deliveryQueueTable, { partitionKey: 'id', indexes: [] });

  const tokens = new DynamoTokenStore(dynamo.doc, dynamo.tableNames.tokens);
  const { token, replaced } = await resolveToken(dataDir, options.token ?? process.env.RUNLATER_TOKEN);
  if (replaced) await tokens.delete(hashToken(replaced));
  await tokens.put({
    hash: hashToken(token),
    name: 'dev',
    scopes: [Scope.Admin],
    createdAt: new Date().toISOString(),
  });

  // The launcher, the queue and the schedule trigger call into handlers that are built on the
  // runtime they are part of: they reach them through these, set once the runtime exists.
  const handlers = {} as {
    taskStatus: ReturnType<typeof makeTaskUpdateHandler>;
    dispatcher: (event: SQSEvent) => Promise<SQSBatchResponse>;
    scheduleFire: ReturnType<typeof makeScheduleFireHandler>;
    webhookDelivery: ReturnType<typeof makeWebhookDeliveryHandler>;
  };
  const stdin = new FileStdinStore(join(dataDir, 'stdin'));
  const schedules = new DynamoScheduleStore(dynamo.doc, dynamo.tableNames.schedules);
  const secrets = new FileSecretStore(join(dataDir, 'secrets'));
  const launcher = new DockerTaskLauncher({
    dataDir,
    stdinStore: stdin,
    credentials: new LocalCredentials({ secrets }),
    onTaskEvent: (update) => handlers.taskStatus(update),
  });
  const queue = new LocalQueue({
    doc: dynamo.doc,
    tableName: queueTable,
    consumer: (event) => handlers.dispatcher(event),
    visibilityTimeoutSeconds:
      options.visibilityTimeoutSeconds ?? Number(process.env.RUNLATER_VISIBILITY_TIMEOUT_SECONDS ?? 60),
  });
  // Webhooks go out the same way as on AWS: a queue feeds the delivery handler. Locally http and
  // loopback receivers are allowed (a receiver on the same machine is the usual case here).
  const deliveryQueue = new LocalQueue<DeliveryMessage>({
    doc: dynamo.doc,
    tableName: deliveryQueueTable,
    consumer: (event) => handlers.webhookDelivery(event),
    visibilityTimeoutSeconds: 60,
  });
  const scheduleTrigger = new LocalScheduleTrigger({
    store: schedules,
    clock: systemClock,
    fire: (event) => handlers.scheduleFire(event),
  });
  // Observability: a log line per request and per job transition, and Prometheus metrics.
  const log = makeDevLog(options.logFormat);
  const store = new DynamoJobStore(dynamo.doc, dynamo.tableNames.jobs, {
    retentionSeconds: retentionSeconds(),
  });
  const metrics = new DevMetrics(store);
  const counted = metrics.observer();
  // Long-polls of a job wake when it changes, where on AWS they poll: same route, same reads.
  const watcher = new NotifiedJobWatcher();
  const runtime: Runtime = {
    jobs: store,
    // Every transition, whoever makes it, passes the job state machine's observer.
    observer: {
      ...counted,
      onTransition: async (event) => {
        log.transition(event);
        watcher.notify(event.job.id);
        await counted.onTransition?.(event);
      },
    },
    // This process is the only writer of the table: its workers are read from memory (every job
    // submission and dispatch reads one).
    workers: new CachingWorkerStore(new DynamoWorkerStore(dynamo.doc, dynamo.tableNames.workers)),
    slots: new DynamoConcurrencySlots(dynamo.doc, dynamo.tableNames.jobs),
    tokens,
    queue,
    stdin,
    launcher: countLaunchFailures(launcher, (reason) => metrics.dispatchError(reason)),
    logs: new LocalLogReader({ dataDir }),
    clock: systemClock,
    schedules,
    scheduleTrigger,
    deliveryQueue,
    secrets,
    watcher,
    openApiDocument: async (routes) => openApiDocument(routes),
  };
  handlers.taskStatus = makeTaskUpdateHandler(runtime);
  // Launches run as a sliding window over the queue; a record that fails comes back after a short,
  // jittered backoff (as on AWS), not after the whole visibility timeout.
  handlers.dispatcher = instancePool(() => withRetryBackoff(makeDispatcherHandler(runtime), queue));
  handlers.scheduleFire = makeScheduleFireHandler(runtime);
  handlers.webhookDelivery = makeWebhookDeliveryHandler({
    ...runtime,
    deliveryQueue,
    webhookSender: new HttpWebhookSender({ allowHttp: true, allowPrivateAddresses: true }),
  });
  const reconcileJobs = makeReconcilerHandler(runtime);
  const retention = new LocalRetention({
    doc: dynamo.doc,
    tableName: dynamo.tableNames.jobs,
    dataDir,
    stdin,
  });
  const reconcile = async () => {
    await reconcileJobs();
    await retention.sweep();
  };
  const apiHandler = makeApiHandler(runtime);

  const server = createServer((req, res) => {
    const started = performance.now();
    res.once('finish', () =>
      log.request({
        method: req.method ?? '-',
        // The path only: a query may carry a cursor or other noise, never worth a log line.
        path: (req.url ?? '/').split('?')[0]!,
        status: res.statusCode,
        durationMs: Math.round(performance.now() - started),
      }),
    );
    handle(req, res).catch((err) => {
      console.error('dev server: request failed:', err);
      if (!res.headersSent) send(res, 500, { error: { code: 'internal', message: 'Internal error' } });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Prometheus scrapes this: the dev server's own route, next to the API's.
    if (req.method === 'GET' && req.url?.split('?')[0] === '/metrics') {
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      res.end(await metrics.registry.metrics());
      return;
    }
    const body = await readBody(req, LIMITS.requestBodyBytes);
    if (body === 'too-large') {
      res.setHeader('connection', 'close');
      send(res, 413, {
        error: {
          code: 'payload_too_large',
          message: `request body is over ${LIMITS.requestBodyBytes} bytes`,
        },
      });
      return;
    }
    const event = toApiGatewayEvent(req, body);
    const result = await apiHandler(event, lambdaContext('api'));
    res.writeHead(result.statusCode ?? 200, result.headers as Record<string, string>);
    res.end(result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : (result.body ?? ''));
  }

  // Tasks that ran or finished while no server watched them are taken up again.
  await launcher.recover().catch((err: Error) =>
    // Without Docker the API still answers; jobs wait in the queue until Docker is back.
    console.error(`runlater dev: Docker is not reachable (${err.message}); jobs will wait until it is`),
  );
  await queue.start();
  await deliveryQueue.start();
  await scheduleTrigger.start();
  const reconcileEveryMs =
    (options.reconcileEverySeconds ?? Number(process.env.RUNLATER_RECONCILE_SECONDS ?? 60)) * 1000;
  let reconciling: Promise<unknown> | undefined;
  const reconcileTimer = setInterval(() => {
    reconciling ??= reconcile()
      .catch((err) => console.error('dev server: reconciler failed:', err))
      .finally(() => (reconciling = undefined));
  }, reconcileEveryMs);

  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? Number(process.env.PORT ?? 8080);
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolvePromise());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  await writeFile(join(dataDir, 'server.json'), JSON.stringify({ url, pid: process.pid }, null, 2), {
    mode: 0o600,
  });

  return {
    url,
    token,
    dataDir,
    close: async () => {
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      clearInterval(reconcileTimer);
      await reconciling;
      await scheduleTrigger.stop();
      await queue.stop();
      await deliveryQueue.stop();
      await launcher.close();
      await dynamo.close();
    },
  };
}

/** Finished jobs are kept this long (`RUNLATER_RETENTION_DAYS`, default 30). */
function retentionSeconds(): number {
  return Math.round(Number(process.env.RUNLATER_RETENTION_DAYS ?? 30) * 86400);
}

/**
 * The one token to accept: the given one, else the one saved by an earlier run, else a new one.
 * It is saved for the CLI; a different token saved before is returned as `replaced` to revoke.
 */
async function resolveToken(
  dataDir: string,
  given: string | undefined,
): Promise<{ token: string; replaced?: string }> {
  const file = join(dataDir, 'token');
  const saved = await readFile(file, 'utf8').then(
    (t) => t.trim(),
    () => '',
  );
  const token = given || saved || newToken();
  if (token !== saved) await writeFile(file, `${token}\n`, { mode: 0o600 });
  await chmod(file, 0o600); // the mode above applies to a new file only
  return saved && saved !== token ? { token, replaced: saved } : { token };
}

/**
 * The body, or 'too-large' once it passes `limit`. The rest of an oversize body is still read and
 * dropped (up to a bound), so the client gets the 413: answering while it still sends, or
 * destroying the request, would reach it as a reset connection instead.
 */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 4 * limit) break; // past this, a reset is the lesser harm than reading on
    if (size <= limit) chunks.push(chunk as Buffer);
  }
  return size > limit ? 'too-large' : Buffer.concat(chunks);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
