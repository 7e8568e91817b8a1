import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { z } from 'zod';
import { buildRoutes, type Route } from '../../lambdas/handlers/routes.ts';
import type { Runtime } from '../../lambdas/handlers/runtime.ts';
import { systemClock } from '../../lambdas/core/ports.ts';
import { startTestServer, type TestServer } from '../support/testServer.ts';

/** Runs per route: 21 routes × 25 requests stay well under a minute, with state read around each. */
const RUNS_PER_ROUTE = 25;

/** Path segments that once crashed the API, names that exist, and anything at all (encoded). */
const segment = fc.oneof(
  fc.constantFrom(
    '%ZZ',
    '%',
    '%E0%A4%A',
    'a'.repeat(3000),
    `idempotency%23${'0'.repeat(64)}`,
    'echo',
    'nightly',
    '__proto__',
    'constructor',
    '%00',
    '%2F..',
  ),
  fc.string({ maxLength: 80 }).map(encodeURIComponent),
  fc.stringMatching(/^[a-z0-9]{1,26}$/),
);

const queryValue = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.constantFrom(
    'eyJpZCI6IngifQ',
    '-1',
    '0',
    '1e9',
    'NaN',
    '3.5',
    'queued',
    'all',
    'stdout',
    'a'.repeat(5000),
  ),
);
const query = fc.dictionary(
  fc.oneof(
    fc.constantFrom('worker', 'status', 'limit', 'cursor', 'stream', 'attempt', '__proto__', 'constructor'),
    fc.string({ maxLength: 10 }),
  ),
  queryValue,
  { maxKeys: 4 },
);

/** A body: the route's own example with one field broken or removed, raw JSON of any shape, or not JSON. */
function body(example: Record<string, unknown> | undefined) {
  const broken = example
    ? fc
        .tuple(
          fc.constantFrom(...Object.keys(example), '__proto__', 'constructor', 'extra'),
          fc.option(fc.jsonValue({ maxDepth: 3 }), { nil: undefined }),
        )
        .map(([key, value]) => {
          const copy: Record<string, unknown> = { ...example };
          if (value === undefined) delete copy[key];
          else copy[key] = value;
          return JSON.stringify(copy).replace('"extra"', key === '__proto__' ? '"__proto__"' : '"extra"');
        })
    : fc.constant('{}');
  return fc.oneof(
    broken,
    fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
    fc.constantFrom('', '{', 'null', '[]', '{"__proto__":{"a":1}}', '{"env":{"constructor":"x"}}'),
    fc.string({ maxLength: 200 }),
  );
}

const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  undefined,
);

const headerValue = fc.stringMatching(/^[\x21-\x7e]{0,300}$/);

describe('fuzzing every route: no 5xx, the error shape, and a refused request changes nothing', () => {
  let server: TestServer;
  const routes = buildRoutes({ clock: systemClock } as Runtime);
  before(async () => {
    server = await startTestServer();
    const worker = await server.api('POST', '/v1/workers', {
      name: 'echo',
      image: 'runlater-test/busybox',
      command: ['true'],
    });
    assert.equal(worker.status, 201, JSON.stringify(worker.body));
    const schedule = await server.api('POST', '/v1/schedules', {
      name: 'nightly',
      worker: 'echo',
      expression: 'cron(0 3 * * ? *)',
      paused: true,
    });
    assert.equal(schedule.status, 201, JSON.stringify(schedule.body));
  });
  after(() => server.stop());

  /** What must not move when a request is refused (job statuses may: jobs run meanwhile). */
  async function state(): Promise<string> {
    const [jobs, workers, schedules, tokens] = await Promise.all(
      ['/v1/jobs?limit=200', '/v1/workers', '/v1/schedules', '/v1/tokens'].map(
        async (p) => (await server.api('GET', p)).body,
      ),
    );
    return JSON.stringify({
      jobs: jobs.jobs.map((j: any) => j.id),
      workers: workers.workers,
      schedules: schedules.schedules.map((s: any) => [s.name, s.state, s.expression]),
      tokens: tokens.tokens,
    });
  }

  function assertErrorShape(status: number, res: unknown) {
    const error = (res as { error?: Record<string, unknown> })?.error;
    assert.ok(error && typeof error === 'object', `a ${status} has the error shape: ${JSON.stringify(res)}`);
    assert.equal(typeof error.code, 'string');
    assert.equal(typeof error.message, 'string');
    assert.ok(error.field === undefined || typeof error.field === 'string');
    for (const key of Object.keys(error))
      assert.ok(['code', 'message', 'field', 'details'].includes(key), key);
  }

  const exampleOf = (r: Route) =>
    r.body
      ? (z.globalRegistry.get(r.body)?.examples as Record<string, unknown>[] | undefined)?.[0]
      : undefined;

  for (const route of routes) {
    it(`${route.method} ${route.path}`, async () => {
      const request = fc.record({
        params: fc.array(segment, { minLength: 3, maxLength: 3 }),
        query,
        body: body(exampleOf(route)),
        contentType,
        idempotencyKey: fc.option(headerValue, { nil: undefined }),
        token: fc.constantFrom('valid', 'valid', 'valid', 'none', 'wrong'),
      });
      await fc.assert(
        fc.asyncProperty(request, async (req) => {
          let i = 0;
          const path = route.path.replace(/\{\w+\}/g, () => req.params[i++]!);
          const qs = new URLSearchParams(req.query).toString();
          const before = await state();
          const res = await fetch(`${server.url}${path}${qs ? `?${qs}` : ''}`, {
            method: route.method,
            headers: {
              ...(req.token === 'valid' ? { authorization: `Bearer ${server.token}` } : {}),
              ...(req.token === 'wrong' ? { authorization: 'Bearer nope' } : {}),
              ...(req.contentType ? { 'content-type': req.contentType } : {}),
              ...(req.idempotencyKey !== undefined ? { 'idempotency-key': req.idempotencyKey } : {}),
            },
            ...(route.method === 'GET' ? {} : { body: req.body }),
          });
          const text = await res.text();
          assert.ok(res.status < 500, `${route.method} ${path}: ${res.status} ${text}`);
          if (res.status >= 400) {
            assertErrorShape(res.status, JSON.parse(text));
            assert.equal(
              await state(),
              before,
              `${route.method} ${path} refused with ${res.status} changed nothing`,
            );
          }
        }),
        { numRuns: RUNS_PER_ROUTE },
      );
    });
  }
});
