import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { App, Stack } from 'aws-cdk-lib';
import { RunLater } from '../../lib/RunLater.ts';
import { startTestServer, type TestServer } from '../support/testServer.ts';

const run = promisify(execFile);
const CHROMIUM = '/usr/bin/chromium';

describe('GET /docs, the API reference page', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  it('is public, names no other host, and forbids the browser any', async () => {
    const res = await fetch(`${server.url}/docs`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/html/);
    assert.match(res.headers.get('content-security-policy')!, /default-src 'none'; script-src 'self'/);
    const page = await res.text();
    assert.doesNotMatch(page, /https?:\/\//);
    assert.match(page, /<redoc spec-url="\/openapi.json">/);
    const script = await fetch(`${server.url}/docs/redoc.standalone.js`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type')!, /^text\/javascript/);
    assert.ok((await script.text()).length > 100_000);
  });

  it(
    'renders the operations in a browser that may reach no other host, and asks none',
    { skip: !existsSync(CHROMIUM) && `no ${CHROMIUM}` },
    async () => {
      // Every request for another host goes to this proxy (loopback goes direct): it records them.
      const asked: string[] = [];
      const proxy = createServer((socket) => {
        socket.once('data', (d) => asked.push(String(d).split('\r\n')[0]!));
        socket.on('error', () => undefined);
        socket.end();
      });
      await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
      try {
        const { port } = proxy.address() as AddressInfo;
        const { stdout } = await run(
          CHROMIUM,
          [
            '--headless',
            '--no-sandbox',
            '--disable-gpu',
            '--no-first-run',
            // The browser's own calls home (updates, time, sync) are not the page's: off.
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            '--disable-default-apps',
            '--disable-features=AutofillServerCommunication,OptimizationHints,MediaRouter,NetworkTimeServiceQuerying',
            '--virtual-time-budget=20000',
            `--proxy-server=http://127.0.0.1:${port}`,
            '--dump-dom',
            `${server.url}/docs`,
          ],
          { timeout: 120_000, maxBuffer: 64 << 20 },
        );
        assert.match(stdout, /Register a worker/);
        assert.match(stdout, /Queue a job|POST.{0,200}\/v1\/jobs/s);
        // Headless Chromium still calls its vendor's services (it does for a blank data: page
        // too); anything else asked would be the page's.
        const browsers = /^\S+ (https?:\/\/)?[\w.-]*\b(google\.com|googleapis\.com|gvt1\.com)[:/]/;
        assert.deepEqual(
          asked.filter((line) => !browsers.test(line)),
          [],
        );
      } finally {
        proxy.close();
      }
    },
  );

  it('is served on AWS too, by the API function as bundled for deploy, with its script beside it', async () => {
    const out = await mkdtemp(join(tmpdir(), 'runlater-docs-synth-'));
    try {
      const app = new App({ outdir: out, context: { 'aws:cdk:enable-asset-metadata': true } });
      const stack = new Stack(app, 'Docs');
      const runlater = new RunLater(stack, 'RunLater');
      const assembly = app.synth();
      const template = assembly.getStackByName('Docs').template;
      const id = stack.getLogicalId(runlater.functions.api.node.defaultChild as never);
      const fn = template.Resources[id];
      const asset = join(out, fn.Metadata['aws:asset:path']);
      assert.ok(existsSync(join(asset, 'redoc.standalone.js')), 'the script is not in the asset');
      // The handler as Lambda would run it: the bundle from the asset, the env the template gives.
      const env: Record<string, string> = { PATH: process.env.PATH!, AWS_REGION: 'eu-west-1' };
      for (const [k, v] of Object.entries(fn.Properties.Environment.Variables as Record<string, unknown>))
        env[k] = typeof v === 'string' ? v : 'from-the-template';
      const call = join(out, 'call.mjs');
      await writeFile(
        call,
        `const { handler } = await import(${JSON.stringify(join(asset, 'index.mjs'))});
const event = (path) => ({ version: '2.0', routeKey: '$default', rawPath: path, rawQueryString: '', headers: {},
  requestContext: { http: { method: 'GET', path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: '' },
    requestId: 'r', routeKey: '$default', stage: '$default', accountId: 'a', apiId: 'a', domainName: 'd', domainPrefix: 'd', time: '', timeEpoch: 0 },
  isBase64Encoded: false });
const ctx = { awsRequestId: 'r', functionName: 'api', getRemainingTimeInMillis: () => 30000 };
const page = await handler(event('/docs'), ctx);
const script = await handler(event('/docs/redoc.standalone.js'), ctx);
console.log(JSON.stringify({ page: [page.statusCode, page.body.includes('<redoc')], script: [script.statusCode, script.body.length] }));
`,
      );
      const { stdout } = await run(process.execPath, [call], { env, timeout: 60_000 });
      const result = JSON.parse(stdout.trim().split('\n').at(-1)!);
      assert.deepEqual(result.page, [200, true]);
      assert.equal(result.script[0], 200);
      assert.ok(result.script[1] > 100_000, `script of ${result.script[1]} characters`);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
