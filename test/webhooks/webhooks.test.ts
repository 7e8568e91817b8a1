import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { ensureTestImages } from '../support/images.ts';
import { startTestServer, type TestServer } from '../support/testServer.ts';
import { waitFor } from '../support/waitFor.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhookReceiver.ts';

/** Webhooks end to end: real containers, the dev server's delivery queue, a real receiver on loopback. */
describe('webhooks', () => {
  let server: TestServer;
  let receiver: WebhookReceiver;
  let secret: string;
  before(async () => {
    await ensureTestImages();
    server = await startTestServer();
    receiver = await startWebhookReceiver();
    const res = await server.api('POST', '/v1/workers', {
      name: 'hooked',
      image: 'runlater-test/busybox',
      command: ['sh', '-c', 'exit "${CODE:-0}"'],
      notify: { url: receiver.url },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    secret = res.body.webhookSecret;
    assert.match(secret, /^whsec_/);
  });
  after(async () => {
    await server.stop();
    await receiver.close();
  });

  const forJob = (id: string) => receiver.received.filter((r) => JSON.parse(r.body).data.id === id);

  it('shows the secret once: reads of the worker never show it', async () => {
    const got = await server.api('GET', '/v1/workers/hooked');
    assert.equal(got.body.webhookSecret, undefined);
    assert.deepEqual(got.body.notify, { url: receiver.url });
    const list = await server.api('GET', '/v1/workers');
    assert.ok(list.body.workers.every((w: any) => w.webhookSecret === undefined));
  });

  it('delivers one signed job.finished per final job, retried after two 500s, all attempts listed', async () => {
    receiver.answer([500, 500]);
    const { body: job } = await server.api('POST', '/v1/jobs', { worker: 'hooked', env: { CODE: '3' } });
    const final = await server.waitForFinal(job.id);
    assert.equal(final.status, 'failed');

    const deliveries = await waitFor(
      'the delivery to succeed',
      async () => {
        const { body } = await server.api('GET', `/v1/jobs/${job.id}/deliveries`);
        return body.deliveries[0]?.status === 'delivered' ? body.deliveries : undefined;
      },
      { timeoutMs: 60_000 },
    );
    const got = forJob(job.id);
    assert.deepEqual(
      got.map((r) => r.answeredWith),
      [500, 500, 200],
    );
    // One delivery, one stable webhook-id over its three attempts, each signed and verifiable.
    assert.equal(new Set(got.map((r) => r.headers['webhook-id'])).size, 1);
    for (const r of got) {
      const payload = new Webhook(secret).verify(r.body, r.headers as Record<string, string>) as any;
      assert.equal(payload.type, 'job.finished');
      assert.equal(payload.data.id, job.id);
      assert.equal(payload.data.status, 'failed');
      assert.equal(payload.data.exitCode, 3);
    }
    assert.throws(() =>
      new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(
        got[0]!.body,
        got[0]!.headers as Record<string, string>,
      ),
    );

    assert.equal(deliveries.length, 1);
    const [d] = deliveries;
    assert.equal(d.id, got[0]!.headers['webhook-id']);
    assert.equal(d.event, 'job.finished');
    assert.deepEqual(
      d.attempts.map((a: any) => [a.attempt, a.responseCode]),
      [
        [1, 500],
        [2, 500],
        [3, 200],
      ],
    );
    assert.ok(d.attempts.every((a: any) => !Number.isNaN(Date.parse(a.at))));
    assert.equal(d.nextAttemptAt, null);
  });

  it('stops at a 4xx other than 408/429, and records it failed after one attempt', async () => {
    receiver.answer([410]);
    const { body: job } = await server.api('POST', '/v1/jobs', { worker: 'hooked' });
    await server.waitForFinal(job.id);
    const [d] = await waitFor('the delivery to end', async () => {
      const { body } = await server.api('GET', `/v1/jobs/${job.id}/deliveries`);
      return body.deliveries[0]?.status === 'failed' ? body.deliveries : undefined;
    });
    assert.deepEqual(
      d.attempts.map((a: any) => a.responseCode),
      [410],
    );
    assert.equal(forJob(job.id).length, 1);
  });

  it("uses a job's own notify and events (start and each attempt's end), and the rotated secret", async () => {
    const rotated = await server.api('POST', '/v1/workers/hooked/webhook-secret');
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    assert.notEqual(rotated.body.webhookSecret, secret);
    receiver.answer([]);
    const { body: job } = await server.api('POST', '/v1/jobs', {
      worker: 'hooked',
      notify: { url: `${receiver.url}?job=own`, events: ['job.started', 'attempt.ended', 'job.finished'] },
    });
    assert.deepEqual(job.notify.events, ['job.started', 'attempt.ended', 'job.finished']);
    await server.waitForFinal(job.id);
    const deliveries = await waitFor('three deliveries', async () => {
      const { body } = await server.api('GET', `/v1/jobs/${job.id}/deliveries`);
      return body.deliveries.length === 3 && body.deliveries.every((d: any) => d.status === 'delivered')
        ? body.deliveries
        : undefined;
    });
    assert.deepEqual(deliveries.map((d: any) => d.event).sort(), [
      'attempt.ended',
      'job.finished',
      'job.started',
    ]);
    for (const r of forJob(job.id))
      new Webhook(rotated.body.webhookSecret).verify(r.body, r.headers as Record<string, string>);
    secret = rotated.body.webhookSecret;
  });

  it('refuses a notify URL that is not http(s), naming the field, and creates nothing', async () => {
    const res = await server.api('POST', '/v1/jobs', {
      worker: 'hooked',
      notify: { url: 'ftp://example.com/x' },
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.field, 'notify.url');
  });
});
