import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { ApiEvent, ApiResult } from '../../lambdas/handlers/http/types.ts';
import { webConsole } from '../../lambdas/handlers/http/webConsole.ts';

/** What the console middleware serves, and what it leaves to the API (and so to its token check). */
describe('the web console files', () => {
  let dir: string;
  const handler = (consoleDir: string) =>
    middy<ApiEvent, ApiResult>()
      .use(webConsole(consoleDir))
      .handler(async () => ({ statusCode: 401, body: 'the API' }));
  const get = (path: string, method = 'GET', consoleDir = dir) =>
    handler(consoleDir)(
      { rawPath: path, requestContext: { http: { method } }, headers: {} } as unknown as ApiEvent,
      {} as Context,
    ) as Promise<ApiResult>;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'runlater-console-'));
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>runlater</title>');
    await writeFile(join(dir, 'assets', 'index-Ab12.js'), 'console.log(1)');
    await writeFile(join(dir, 'secret.txt'), 'not for the web');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('serves the page at / with the security headers, not cached', async () => {
    const res = await get('/');
    assert.equal(res.statusCode, 200);
    assert.equal(Buffer.from(res.body!, 'base64').toString(), '<!doctype html><title>runlater</title>');
    assert.equal(res.headers!['content-type'], 'text/html; charset=utf-8');
    assert.equal(res.headers!['x-content-type-options'], 'nosniff');
    assert.match(String(res.headers!['content-security-policy']), /frame-ancestors 'none'/);
    assert.equal(res.headers!['cache-control'], 'no-cache');
  });

  it('serves hash-named assets for a year, with their type', async () => {
    const res = await get('/assets/index-Ab12.js');
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers!['content-type'], 'text/javascript; charset=utf-8');
    assert.match(String(res.headers!['cache-control']), /immutable/);
  });

  it('answers 404 for a missing asset', async () => {
    assert.equal((await get('/assets/index-gone.js')).statusCode, 404);
  });

  it('leaves every other path and method to the API', async () => {
    for (const [path, method] of [
      ['/secret.txt', 'GET'],
      ['/index.html', 'GET'],
      ['/assets/../secret.txt', 'GET'],
      ['/assets/..%2fsecret.txt', 'GET'],
      ['/v1/jobs', 'GET'],
      ['/', 'POST'],
    ])
      assert.equal((await get(path!, method)).body, 'the API', `${method} ${path}`);
  });

  it('says so at / when the console is not built', async () => {
    const res = await get('/', 'GET', join(dir, 'missing'));
    assert.equal(res.statusCode, 503);
    assert.match(res.body!, /npm run build:web/);
  });
});
