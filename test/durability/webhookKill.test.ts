import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { DevProcess } from '../support/devProcess.ts';
import { ensureTestImages } from '../support/images.ts';
import { waitFor } from '../support/waitFor.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhookReceiver.ts';

describe('durability: kill -9 of the dev server while a webhook is being retried', () => {
  let dev: DevProcess | undefined;
  let receiver: WebhookReceiver | undefined;
  after(async () => {
    await dev?.close();
    await receiver?.close();
  });

  it('loses no delivery: the retry goes out after the restart, with the same webhook-id', async () => {
    await ensureTestImages();
    receiver = await startWebhookReceiver();
    receiver.answer([], 500); // fail every attempt until told otherwise
    dev = await DevProcess.create('webhook-kill');
    await dev.start();
    const api = dev.api.bind(dev);

    const worker = await api('POST', '/v1/workers', {
      name: 'hooked',
      image: 'runlater-test/busybox',
      command: ['true'],
      notify: { url: receiver.url },
    });
    const job = await api('POST', '/v1/jobs', { worker: 'hooked' });
    // Kill once an attempt failed and its retry is queued: the delivery is mid-retry.
    await waitFor(
      'a failed first attempt',
      async () => {
        const { deliveries } = await api('GET', `/v1/jobs/${job.id}/deliveries`);
        return deliveries[0]?.attempts.length >= 1 && deliveries[0].status === 'pending';
      },
      { timeoutMs: 60_000, intervalMs: 50 },
    );
    await dev.kill();
    const beforeRestart = receiver.received.length;
    assert.ok(beforeRestart >= 1);

    receiver.answer([], 200);
    await dev.start();
    const [delivery] = await waitFor(
      'the delivery to succeed after the restart',
      async () => {
        const { deliveries } = await api('GET', `/v1/jobs/${job.id}/deliveries`);
        return deliveries[0]?.status === 'delivered' ? deliveries : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 200 },
    );

    const got = receiver.received;
    assert.equal(got.at(-1)!.answeredWith, 200);
    assert.equal(got.filter((r) => r.answeredWith === 200).length, 1, 'delivered once it succeeded');
    assert.equal(new Set(got.map((r) => r.headers['webhook-id'])).size, 1, 'one stable webhook-id');
    const payload = new Webhook(worker.webhookSecret).verify(
      got.at(-1)!.body,
      got.at(-1)!.headers as Record<string, string>,
    ) as any;
    assert.equal(payload.data.id, job.id);
    assert.equal(delivery.attempts.at(-1).responseCode, 200);
    assert.ok(delivery.attempts.length >= 2);
  });
});
