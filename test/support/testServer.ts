import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job } from '../../lambdas/core/schemas.ts';
import { startDevServer, type DevServer } from '../../local/devServer.ts';
import { removeContainersOf } from './containers.ts';

export interface TestServer extends DevServer {
  /** Calls the API with the server's token unless `token` is given (null: no Authorization header). */
  api(
    method: string,
    path: string,
    body?: unknown,
    options?: { token?: string | null; headers?: Record<string, string>; rawBody?: string },
  ): Promise<{ status: number; body: any }>;
  waitForFinal(id: string, timeoutMs?: number): Promise<Job>;
  stop(): Promise<void>;
}

/** A dev server on a free loopback port with its own data directory, removed on stop(). */
export async function startTestServer(
  options: { dataDir?: string; token?: string } = {},
): Promise<TestServer> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'runlater-test-')));
  const server = await startDevServer({ port: 0, dataDir, token: options.token ?? `test-${Date.now()}` });
  const api: TestServer['api'] = async (method, path, body, opts = {}) => {
    const token = opts.token === undefined ? server.token : opts.token;
    const res = await fetch(server.url + path, {
      method,
      headers: {
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        ...(body !== undefined || opts.rawBody !== undefined ? { 'content-type': 'application/json' } : {}),
        ...opts.headers,
      },
      ...(opts.rawBody !== undefined
        ? { body: opts.rawBody }
        : body !== undefined
          ? { body: JSON.stringify(body) }
          : {}),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text for the assertion message
    }
    return { status: res.status, body: parsed };
  };
  const waitForFinal = async (id: string, timeoutMs = 60_000): Promise<Job> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { status, body } = await api('GET', `/v1/jobs/${id}`);
      if (status !== 200) throw new Error(`GET job ${id}: ${status} ${JSON.stringify(body)}`);
      if (['succeeded', 'failed', 'timed_out', 'cancelled'].includes(body.status)) return body as Job;
      if (Date.now() > deadline) throw new Error(`job ${id} still ${body.status} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return {
    ...server,
    api,
    waitForFinal,
    stop: async () => {
      await server.close();
      if (options.dataDir) return; // the caller's: it may start a server on it again
      await removeContainersOf(server.dataDir);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Reassembles the exact bytes a job wrote to a stream from its log lines. */
export function bytesOf(
  lines: { stream: string; text?: string; base64?: string; partial?: boolean }[],
  stream: string,
): Buffer {
  return Buffer.concat(
    lines
      .filter((l) => l.stream === stream)
      .flatMap((l) => [
        l.base64 !== undefined ? Buffer.from(l.base64, 'base64') : Buffer.from(l.text ?? '', 'utf8'),
        l.partial ? Buffer.alloc(0) : Buffer.from('\n'),
      ]),
  );
}

/** Reads every log line of a job's latest attempt, following cursors until the end. */
export async function readAllLogs(server: TestServer, id: string, stream = 'all') {
  const lines: any[] = [];
  let cursor = '';
  for (let page = 0; page < 1000; page++) {
    const q = new URLSearchParams({ stream, limit: '10000', ...(cursor ? { cursor } : {}) });
    const { status, body } = await server.api('GET', `/v1/jobs/${id}/logs?${q}`);
    if (status !== 200) throw new Error(`logs: ${status} ${JSON.stringify(body)}`);
    lines.push(...body.lines);
    cursor = body.nextCursor;
    if (body.complete) return lines;
  }
  throw new Error('logs never completed');
}
