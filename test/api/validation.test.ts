import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LIMITS } from '../../lambdas/core/limits.ts';
import { startTestServer, type TestServer } from '../support/testServer.ts';

/** Bad input answers with the error shape and changes nothing. */
describe('the API refuses bad input and changes nothing', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
    const created = await server.api('POST', '/v1/workers', {
      name: 'echo',
      image: 'runlater-test/busybox',
      command: ['cat'],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });
  after(() => server.stop());

  async function jobCount(): Promise<number> {
    const { body } = await server.api('GET', '/v1/jobs?limit=200');
    return body.jobs.length;
  }

  function assertError(res: { status: number; body: any }, status: number, code: string, field?: string) {
    assert.equal(res.status, status, JSON.stringify(res.body));
    assert.equal(res.body.error.code, code);
    assert.equal(typeof res.body.error.message, 'string');
    if (field) assert.equal(res.body.error.field, field);
    assert.doesNotMatch(JSON.stringify(res.body), /\bat .*\.ts:\d+/, 'no stack trace');
  }

  it('malformed JSON', async () => {
    assertError(
      await server.api('POST', '/v1/jobs', undefined, { rawBody: '{"worker": "echo",' }),
      400,
      'invalid_request',
      'body',
    );
    assert.equal(await jobCount(), 0);
  });

  it('unknown fields', async () => {
    assertError(
      await server.api('POST', '/v1/jobs', { worker: 'echo', stdn: 'typo' }),
      400,
      'invalid_request',
      'stdn',
    );
    assertError(
      await server.api('POST', '/v1/workers', { name: 'w2', image: 'x', cpus: 2 }),
      400,
      'invalid_request',
      'cpus',
    );
    assert.equal(await jobCount(), 0);
  });

  it('a missing or unknown worker', async () => {
    assertError(await server.api('POST', '/v1/jobs', { stdin: 'x' }), 400, 'invalid_request', 'worker');
    assertError(await server.api('POST', '/v1/jobs', { worker: 'nope' }), 400, 'invalid_request', 'worker');
    assert.equal(await jobCount(), 0);
  });

  it('bad env names', async () => {
    assertError(
      await server.api('POST', '/v1/jobs', { worker: 'echo', env: { 'BAD-NAME': '1' } }),
      400,
      'invalid_request',
      'env.BAD-NAME',
    );
    assertError(
      await server.api('POST', '/v1/workers', { name: 'w3', image: 'busybox', env: { '9LIVES': '1' } }),
      400,
      'invalid_request',
      'env.9LIVES',
    );
    assert.equal(await jobCount(), 0);
    assert.equal((await server.api('GET', '/v1/workers/w3')).status, 404);
  });

  it('an image reference that cannot be parsed', async () => {
    assertError(
      await server.api('POST', '/v1/workers', { name: 'w4', image: 'UPPER/Case:' }),
      400,
      'invalid_request',
      'image',
    );
    assert.equal((await server.api('GET', '/v1/workers/w4')).status, 404);
  });

  it(`stdin over the documented limit of ${LIMITS.stdinBytes} bytes is 413`, async () => {
    const tooBig = Buffer.alloc(LIMITS.stdinBytes + 1, 1).toString('base64');
    assertError(
      await server.api('POST', '/v1/jobs', { worker: 'echo', stdinBase64: tooBig }),
      413,
      'payload_too_large',
    );
    const wayTooBig = 'x'.repeat(LIMITS.requestBodyBytes + 10);
    assertError(
      await server.api('POST', '/v1/jobs', { worker: 'echo', stdin: wayTooBig }),
      413,
      'payload_too_large',
    );
    assert.equal(await jobCount(), 0);
  });

  it('an unknown job id is 404', async () => {
    assertError(await server.api('GET', '/v1/jobs/01jzzzzzzzzzzzzzzzzzzzzzzz'), 404, 'not_found');
    assertError(await server.api('POST', '/v1/jobs/01jzzzzzzzzzzzzzzzzzzzzzzz/cancel'), 404, 'not_found');
    assertError(await server.api('GET', '/v1/jobs/01jzzzzzzzzzzzzzzzzzzzzzzz/logs'), 404, 'not_found');
  });

  it('a missing or wrong token is 401', async () => {
    assertError(await server.api('GET', '/v1/jobs', undefined, { token: null }), 401, 'unauthorized');
    assertError(
      await server.api('POST', '/v1/jobs', { worker: 'echo' }, { token: 'wrong' }),
      401,
      'unauthorized',
    );
    assert.equal(await jobCount(), 0);
  });

  it('health and the OpenAPI document need no token', async () => {
    assert.equal((await server.api('GET', '/v1/health', undefined, { token: null })).status, 200);
    const doc = await server.api('GET', '/openapi.json', undefined, { token: null });
    assert.equal(doc.status, 200);
    assert.equal(doc.body.openapi, '3.1.0');
  });

  it('an unknown route is a 404 in the error shape', async () => {
    assertError(await server.api('GET', '/v1/nothing-here'), 404, 'not_found');
  });
});
