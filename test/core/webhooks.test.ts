import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HttpWebhookSender, isPrivateAddress } from '../../lambdas/adapters/http/HttpWebhookSender.ts';
import { JobService } from '../../lambdas/core/JobService.ts';
import type {
  DeliveryMessage,
  DeliveryQueue,
  WebhookRequest,
  WebhookSender,
} from '../../lambdas/core/ports.ts';
import { requeueOverdueDeliveries, WebhookDeliverer } from '../../lambdas/core/WebhookDeliverer.ts';
import { DELIVERY_BACKOFF_SECONDS, outcomeOf, type SendResult } from '../../lambdas/core/webhooks.ts';
import { WorkerService } from '../../lambdas/core/WorkerService.ts';
import { coreHarness } from '../support/coreHarness.ts';

class RecordingDeliveryQueue implements DeliveryQueue {
  sent: { message: DeliveryMessage; delaySeconds: number }[] = [];
  async send(message: DeliveryMessage, delaySeconds: number) {
    this.sent.push({ message, delaySeconds });
  }
}

class ScriptedSender implements WebhookSender {
  requests: WebhookRequest[] = [];
  constructor(public results: SendResult[]) {}
  async send(request: WebhookRequest) {
    this.requests.push(request);
    return this.results.shift() ?? { status: 200 };
  }
}

describe('webhook delivery rules', () => {
  it('retries network errors, timeouts, 5xx, 408 and 429; stops at other 4xx; 2xx is delivered', () => {
    const cases: [SendResult, string][] = [
      [{ status: 200 }, 'delivered'],
      [{ status: 204 }, 'delivered'],
      [{ status: 500 }, 'retry'],
      [{ status: 503 }, 'retry'],
      [{ status: 408 }, 'retry'],
      [{ status: 429 }, 'retry'],
      [{ status: 302 }, 'retry'],
      [{ status: 400 }, 'failed'],
      [{ status: 404 }, 'failed'],
      [{ status: 410 }, 'failed'],
      [{ error: 'ECONNREFUSED' }, 'retry'],
      [{ error: 'no answer within 10000 ms' }, 'retry'],
      [{ error: 'private address', permanent: true }, 'failed'],
    ];
    for (const [result, expected] of cases) assert.equal(outcomeOf(result), expected, JSON.stringify(result));
  });

  it('keeps retrying for more than a day', () => {
    const total = DELIVERY_BACKOFF_SECONDS.reduce((a, b) => a + b, 0);
    assert.ok(total > 86400, `${total} s`);
  });

  it('knows private, loopback and link-local addresses, IPv4-mapped ones included', () => {
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.20.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '::1',
      'fe80::1',
      'fd00::1',
      '::ffff:10.0.0.1',
      '0.0.0.0',
    ])
      assert.ok(isPrivateAddress(a), a);
    for (const a of ['8.8.8.8', '2606:4700::1111', '::ffff:1.1.1.1', 'example.com'])
      assert.ok(!isPrivateAddress(a), a);
  });

  it('on AWS terms, refuses http, private addresses and names that resolve to them, without retrying', async () => {
    const sender = new HttpWebhookSender({ allowHttp: false, allowPrivateAddresses: false });
    const req = (url: string): WebhookRequest => ({
      url,
      id: 'msg_1',
      timestamp: new Date(),
      payload: '{}',
      secret: `whsec_${Buffer.alloc(32, 7).toString('base64')}`,
    });
    const http = await sender.send(req('http://example.com/x'));
    assert.deepEqual(http, { error: 'http: URLs are not allowed here: use https', permanent: true });
    for (const url of ['https://127.0.0.1/x', 'https://[::1]/x', 'https://169.254.169.254/latest'])
      assert.equal(outcomeOf(await sender.send(req(url))), 'failed', url);
    const byName = await sender.send(req('https://localhost:1/x'));
    assert.equal(outcomeOf(byName), 'failed');
    assert.match('error' in byName ? byName.error : '', /resolves to .*(127\.0\.0\.1|::1)/);
  });
});

describe('webhook deliveries on the core (dynalite, recorded queue, scripted receiver)', () => {
  let h: Awaited<ReturnType<typeof coreHarness>>;
  let jobs: JobService;
  before(async () => {
    h = await coreHarness();
    jobs = new JobService({
      ...h,
    });
    await new WorkerService(h.workers, h.clock).create({
      name: 'hooked',
      image: 'busybox',
      notify: { url: 'https://example.com/hook' },
    });
  });
  after(() => h.close());

  it('a delivery recorded with the finish but never queued (a crash) is queued again once overdue', async () => {
    const { job } = await jobs.submit({ worker: 'hooked' });
    // No observer: as if the process died right after the finish write.
    await jobs.cancel(job.id);
    const queue = new RecordingDeliveryQueue();
    assert.equal(await requeueOverdueDeliveries({ ...h, queue }), 0, 'not overdue yet');
    h.clock.advance(61);
    assert.equal(await requeueOverdueDeliveries({ ...h, queue }), 1);
    assert.deepEqual(queue.sent, [
      { message: { jobId: job.id, deliveryId: `msg_${job.id}_job.finished` }, delaySeconds: 0 },
    ]);

    // The queued message is delivered; delivered, it is no longer due.
    const sender = new ScriptedSender([{ status: 503 }, { status: 200 }]);
    const deliverer = new WebhookDeliverer({ ...h, queue, sender });
    assert.equal(await deliverer.deliver(queue.sent[0]!.message), 'retry-scheduled');
    assert.equal(queue.sent.at(-1)!.delaySeconds, DELIVERY_BACKOFF_SECONDS[0]);
    h.clock.advance(DELIVERY_BACKOFF_SECONDS[0]);
    assert.equal(await deliverer.deliver(queue.sent[0]!.message), 'delivered');
    assert.equal(
      await deliverer.deliver(queue.sent[0]!.message),
      'nothing-to-do',
      'a duplicate does nothing',
    );
    assert.equal(sender.requests.length, 2);
    assert.equal(new Set(sender.requests.map((r) => r.id)).size, 1);
    const [d] = await jobs.deliveries(job.id);
    assert.deepEqual(
      d!.attempts.map((a) => [a.attempt, a.responseCode, a.error]),
      [
        [1, 503, 'HTTP 503'],
        [2, 200, null],
      ],
    );
    h.clock.advance(3600);
    assert.equal(await requeueOverdueDeliveries({ ...h, queue: new RecordingDeliveryQueue() }), 0);
  });

  it('a message that comes before its delivery is due waits on; long waits hop in 15-minute steps', async () => {
    const { job } = await jobs.submit({ worker: 'hooked' });
    await jobs.cancel(job.id);
    const queue = new RecordingDeliveryQueue();
    const results: SendResult[] = DELIVERY_BACKOFF_SECONDS.map(() => ({ status: 500 }));
    const deliverer = new WebhookDeliverer({ ...h, queue, sender: new ScriptedSender(results) });
    const message = { jobId: job.id, deliveryId: `msg_${job.id}_job.finished` };
    for (let i = 0; i < 6; i++) {
      assert.equal(await deliverer.deliver(message), 'retry-scheduled');
      h.clock.advance(DELIVERY_BACKOFF_SECONDS[i]!);
    }
    // The 7th attempt waits an hour: one early message is sent on for at most 900 s.
    assert.equal(await deliverer.deliver(message), 'retry-scheduled');
    assert.equal(queue.sent.at(-1)!.delaySeconds, 900);
    assert.equal(await deliverer.deliver(message), 'not-due');
    assert.equal(queue.sent.at(-1)!.delaySeconds, 900);
  });

  it('gives up after the last retry, and records the delivery failed', async () => {
    const { job } = await jobs.submit({ worker: 'hooked' });
    await jobs.cancel(job.id);
    const queue = new RecordingDeliveryQueue();
    const sender = new ScriptedSender(Array.from({ length: 20 }, () => ({ error: 'ECONNREFUSED' })));
    const failing = new WebhookDeliverer({ ...h, queue, sender });
    const message = { jobId: job.id, deliveryId: `msg_${job.id}_job.finished` };
    let outcome = '';
    for (let i = 0; i < 20 && outcome !== 'failed'; i++) {
      outcome = await failing.deliver(message);
      h.clock.advance(DELIVERY_BACKOFF_SECONDS[i] ?? 0);
    }
    assert.equal(outcome, 'failed');
    assert.equal(sender.requests.length, DELIVERY_BACKOFF_SECONDS.length + 1);
    const [d] = await jobs.deliveries(job.id);
    assert.equal(d!.status, 'failed');
    assert.equal(d!.nextAttemptAt, null);
  });
});
