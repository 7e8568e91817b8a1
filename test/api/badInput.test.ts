import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Logger } from '@aws-lambda-powertools/logger';
import { errorHandler } from '../../lambdas/handlers/http/errorHandler.ts';
import type { ApiEvent, ApiResult } from '../../lambdas/handlers/http/types.ts';
import { startTestServer, type TestServer } from '../support/testServer.ts';

/**
 * Each input that once got a 500 (or was accepted and went wrong) from issue 9: every one is
 * answered 4xx in the error shape, naming the problem, and changes nothing.
 */
describe('bad input that once crashed the API or was accepted wrongly', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
    const created = await server.api('POST', '/v1/workers', { name: 'echo', image: 'runlater-test/busybox' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });
  after(() => server.stop());

  function assertError(res: { status: number; body: any }, status: number, field?: string) {
    assert.equal(res.status, status, JSON.stringify(res.body));
    assert.equal(typeof res.body.error.code, 'string');
    assert.equal(typeof res.body.error.message, 'string');
    if (field !== undefined) assert.equal(res.body.error.field, field, JSON.stringify(res.body));
  }

  /** What a refused request must not change: which jobs exist, and the workers, schedules and tokens. */
  const state = async () =>
    JSON.stringify([
      (await server.api('GET', '/v1/jobs?limit=200')).body.jobs.map((j: { id: string }) => j.id),
      ...(await Promise.all(
        ['/v1/workers', '/v1/schedules', '/v1/tokens'].map(async (p) => (await server.api('GET', p)).body),
      )),
    ]);

  it('a malformed percent escape in any path parameter is 400 naming the parameter', async () => {
    for (const [method, path, field] of [
      ['GET', '/v1/jobs/%ZZ', 'id'],
      ['GET', '/v1/jobs/%E0%A4%A/logs', 'id'],
      ['POST', '/v1/jobs/%ZZ/cancel', 'id'],
      ['GET', '/v1/workers/%ZZ', 'name'],
      ['DELETE', '/v1/workers/%', 'name'],
      ['POST', '/v1/schedules/%ZZ/pause', 'name'],
      ['DELETE', '/v1/tokens/%ZZ', 'id'],
    ] as const)
      assertError(await server.api(method, path), 400, field);
  });

  it('a 3,000-character name or id is 400, not a store error', async () => {
    const long = 'a'.repeat(3000);
    const before = await state();
    for (const [method, path] of [
      ['GET', `/v1/workers/${long}`],
      ['PUT', `/v1/workers/${long}`],
      ['DELETE', `/v1/workers/${long}`],
      ['GET', `/v1/jobs/${long}`],
      ['GET', `/v1/jobs/${long}/logs`],
      ['POST', `/v1/jobs/${long}/cancel`],
      ['GET', `/v1/schedules/${long}`],
      ['POST', `/v1/schedules/${long}/resume`],
      ['DELETE', `/v1/tokens/${long}`],
    ] as const)
      assertError(await server.api(method, path, method === 'PUT' ? { image: 'busybox' } : undefined), 400);
    assertError(await server.api('POST', '/v1/jobs', { worker: long }), 400, 'worker');
    assertError(await server.api('POST', '/v1/tokens', { name: long, scopes: ['jobs'] }), 400, 'name');
    assertError(await server.api('GET', `/v1/jobs?worker=${long}`), 400, 'worker');
    assert.equal(await state(), before);
  });

  it('a crafted list cursor is 400', async () => {
    const crafted = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');
    for (const cursor of [
      'eyJpZCI6IngifQ', // {"id":"x"}
      crafted({ id: 5 }),
      crafted({ id: 'x', kind: 'job' }),
      crafted(['a']),
      'not base64 at all!',
    ])
      assertError(await server.api('GET', `/v1/jobs?cursor=${encodeURIComponent(cursor)}`), 400, 'cursor');
    // A cursor the API handed out still pages on.
    for (let i = 0; i < 3; i++) await server.api('POST', '/v1/jobs', { worker: 'echo', delaySeconds: 3600 });
    const first = await server.api('GET', '/v1/jobs?limit=2');
    assert.equal(first.body.jobs.length, 2);
    const next = await server.api('GET', `/v1/jobs?limit=2&cursor=${first.body.nextCursor}`);
    assert.equal(next.status, 200, JSON.stringify(next.body));
    assert.ok(next.body.jobs.length >= 1);
    assert.ok(!next.body.jobs.some((j: any) => first.body.jobs.some((f: any) => f.id === j.id)));
  });

  it('env names "constructor" and "__proto__" are refused, and the refusal burns no Idempotency-Key', async () => {
    const headers = { 'idempotency-key': `proto-${Date.now()}` };
    const before = await state();
    for (const env of ['{"constructor":"x"}', '{"__proto__":{"A":"b"}}', '{"__proto__":"b"}']) {
      const rawBody = `{"worker":"echo","env":${env}}`;
      assertError(await server.api('POST', '/v1/jobs', undefined, { rawBody, headers }), 400);
      const worker = `{"name":"w-proto","image":"busybox","env":${env}}`;
      assertError(await server.api('POST', '/v1/workers', undefined, { rawBody: worker }), 400);
    }
    assert.equal(await state(), before);
    const ok = await server.api('POST', '/v1/jobs', { worker: 'echo', delaySeconds: 3600 }, { headers });
    assert.equal(ok.status, 202, `the key is still free: ${JSON.stringify(ok.body)}`);
  });

  it('schedule expressions are checked whole when the schedule is made', async () => {
    const before = await state();
    for (const expression of [
      'rate(100000000 days)',
      'cron(0 0 ? * 8 *)',
      'cron(H 0 * * ? *)',
      'cron(0 0 30 2 ? *)',
    ])
      assertError(
        await server.api('POST', '/v1/schedules', { name: 's1', worker: 'echo', expression, paused: true }),
        400,
        'expression',
      );
    assert.equal(await state(), before);
    const made = await server.api('POST', '/v1/schedules', {
      name: 's1',
      worker: 'echo',
      expression: 'rate(365 days)',
      paused: true,
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const resumed = await server.api('POST', '/v1/schedules/s1/resume');
    assert.equal(resumed.status, 200, JSON.stringify(resumed.body));
    assert.ok(resumed.body.nextRunAt);
    assert.equal((await server.api('DELETE', '/v1/schedules/s1')).status, 204);
  });

  it('the internal idempotency record is not a job (404)', async () => {
    const key = `internal-${Date.now()}`;
    assert.equal(
      (
        await server.api(
          'POST',
          '/v1/jobs',
          { worker: 'echo', delaySeconds: 3600 },
          { headers: { 'idempotency-key': key } },
        )
      ).status,
      202,
    );
    const id = `idempotency%23${createHash('sha256').update(key).digest('hex')}`;
    assertError(await server.api('GET', `/v1/jobs/${id}`), 404);
    assertError(await server.api('GET', `/v1/jobs/${id}/logs`), 404);
    assertError(await server.api('POST', `/v1/jobs/${id}/cancel`), 404);
  });

  it('an oversize POST gets the 413, never a reset connection', async () => {
    const rawBody = JSON.stringify({ worker: 'echo', stdin: 'x'.repeat(7 * 1024 * 1024) });
    const before = await state();
    for (let i = 0; i < 5; i++)
      assertError(await server.api('POST', '/v1/jobs', undefined, { rawBody }), 413);
    assert.equal(await state(), before);
  });

  it('a NUL in an env value is refused', async () => {
    const before = await state();
    assertError(
      await server.api('POST', '/v1/jobs', { worker: 'echo', env: { A: 'x\u0000y' } }),
      400,
      'env.A',
    );
    assertError(
      await server.api('POST', '/v1/workers', { name: 'nul', image: 'busybox', env: { A: '\u0000' } }),
      400,
      'env.A',
    );
    assert.equal(await state(), before);
  });

  it('a body not sent as JSON is refused with 415 naming its Content-Type', async () => {
    const before = await state();
    const rawBody = JSON.stringify({ worker: 'echo' });
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const res = await server.api('POST', '/v1/jobs', undefined, {
        rawBody,
        headers: { 'content-type': type },
      });
      assertError(res, 415, 'Content-Type');
      assert.match(res.body.error.message, new RegExp(type.replace('+', '\\+')));
    }
    const bare = await fetch(`${server.url}/v1/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.token}` },
      body: new Uint8Array(Buffer.from(rawBody)),
    });
    assertError({ status: bare.status, body: await bare.json() }, 415, 'Content-Type');
    assert.equal(await state(), before);
    const charset = await server.api('POST', '/v1/jobs', undefined, {
      rawBody: JSON.stringify({ worker: 'echo', delaySeconds: 3600 }),
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    assert.equal(charset.status, 202, JSON.stringify(charset.body));
  });

  it('token names with NUL, CR or LF are refused', async () => {
    const before = await state();
    for (const name of ['a\u0000b', 'a\r\nX-Injected: 1', 'line\n'])
      assertError(await server.api('POST', '/v1/tokens', { name, scopes: ['jobs'] }), 400, 'name');
    assert.equal(await state(), before);
  });
});

describe('an error a backend answered with an HTTP status (a Docker 409)', () => {
  it('is a 503 in the error shape, and is logged', async () => {
    const logged: unknown[][] = [];
    const logger = { error: (...args: unknown[]) => logged.push(args) } as unknown as Logger;
    const dockerError = Object.assign(
      new Error(
        '(HTTP code 409) unexpected - can not get logs from container which is dead or marked for removal',
      ),
      { statusCode: 409, reason: 'unexpected', json: { message: 'can not get logs' } },
    );
    const request = {
      event: {
        rawPath: '/v1/jobs/x/logs',
        requestContext: { http: { method: 'GET' } },
      } as unknown as ApiEvent,
      error: dockerError,
      response: undefined as ApiResult | undefined,
    };
    await errorHandler(logger).onError!(request as never);
    assert.equal(request.response?.statusCode, 503);
    const body = JSON.parse(String(request.response?.body));
    assert.equal(body.error.code, 'backend_unavailable');
    assert.doesNotMatch(body.error.message, /HTTP code 409\) unexpected/);
    assert.equal(logged.length, 1);
  });
});
