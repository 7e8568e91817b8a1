import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}
export type Reply = { status: number; body?: unknown; raw?: string };

/**
 * A stand-in for the API on a free loopback port, for client and CLI tests that assert request
 * shapes: records each request and answers with `handle`. (End-to-end tests use the real server.)
 */
export async function fakeApi(handle: (req: Recorded) => Reply) {
  const requests: Recorded[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec = {
        method: req.method!,
        path: req.url!,
        headers: req.headers,
        body: String(Buffer.concat(chunks)),
      };
      requests.push(rec);
      const reply = handle(rec);
      const text = reply.raw ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
      res.writeHead(reply.status, { 'content-type': reply.raw ? 'text/html' : 'application/json' }).end(text);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}
