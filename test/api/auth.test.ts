import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../support/testServer.ts';

describe('tokens and scopes', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
    assert.equal(
      (await server.api('POST', '/v1/workers', { name: 'w', image: 'runlater-test/busybox' })).status,
      201,
    );
  });
  after(() => server.stop());

  it('an admin makes a jobs token, shown once and listed by id only', async () => {
    const made = await server.api('POST', '/v1/tokens', { name: 'ci', scopes: ['jobs'] });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.match(made.body.token, /^rl_/);
    const list = await server.api('GET', '/v1/tokens');
    const listed = list.body.tokens.find((t: any) => t.id === made.body.id);
    assert.deepEqual(listed, {
      id: made.body.id,
      name: 'ci',
      scopes: ['jobs'],
      createdAt: made.body.createdAt,
    });
    assert.doesNotMatch(JSON.stringify(list.body), new RegExp(made.body.token));
  });

  it('a jobs token queues and reads jobs, but cannot manage workers or tokens (403)', async () => {
    const { body } = await server.api('POST', '/v1/tokens', { name: 'app', scopes: ['jobs'] });
    const token = body.token as string;
    const queued = await server.api('POST', '/v1/jobs', { worker: 'w', delaySeconds: 3600 }, { token });
    assert.equal(queued.status, 202);
    assert.equal((await server.api('GET', `/v1/jobs/${queued.body.id}`, undefined, { token })).status, 200);
    for (const [method, path, payload] of [
      ['POST', '/v1/workers', { name: 'x', image: 'busybox' }],
      ['GET', '/v1/workers', undefined],
      ['DELETE', '/v1/workers/w', undefined],
      ['POST', '/v1/tokens', { name: 'escalate', scopes: ['admin'] }],
      ['GET', '/v1/tokens', undefined],
    ] as const) {
      const res = await server.api(method, path, payload, { token });
      assert.equal(res.status, 403, `${method} ${path}`);
      assert.equal(res.body.error.code, 'forbidden');
    }
    assert.equal((await server.api('GET', '/v1/workers/w')).status, 200, 'the worker is still there');
  });

  it('a revoked token is refused (401)', async () => {
    const { body } = await server.api('POST', '/v1/tokens', { name: 'temp', scopes: ['jobs'] });
    assert.equal((await server.api('GET', '/v1/jobs', undefined, { token: body.token })).status, 200);
    assert.equal((await server.api('DELETE', `/v1/tokens/${body.id}`)).status, 204);
    assert.equal((await server.api('GET', '/v1/jobs', undefined, { token: body.token })).status, 401);
  });

  it('bad token requests name the field', async () => {
    const res = await server.api('POST', '/v1/tokens', { name: 'x', scopes: ['root'] });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.field, 'scopes.0');
  });
});
