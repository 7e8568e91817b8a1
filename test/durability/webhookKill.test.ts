import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { ensureTestImages } from '../support/images.ts';
import { waitFor } from '../support/waitFor.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhookReceiver.ts';

const ROOT = new URL('../..', import.meta.url).pathname;

/** `runlater dev` as a user runs it, in a child process we can kill -9. */
function startDev(dataDir: string, port: number, token: string): ChildProcess {
  return spawn(process.execPath, ['bin/runlater.mjs', 'dev'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      RUNLATER_DATA_DIR: dataDir,
      RUNLATER_TOKEN: token,
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
}

describe('durability: kill -9 of the dev server while a webhook is being retried', () => {
  const port = 20000 + Math.floor(Math.random() * 2000);
  const token = `webhook-kill-${Date.now()}`;
  const url = `http://127.0.0.1:${port}`;
  let dataDir = '';
  let child: ChildProcess | undefined;
  let receiver: WebhookReceiver | undefined;
  after(async () => {
    child?.kill('SIGKILL');
    await receiver?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  async function api(method: string, path: string, body?: unknown): Promise<any> {
    const res = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }
  const healthy = async () => (await fetch(`${url}/v1/health`).catch(() => undefined))?.ok;

  it('loses no delivery: the retry goes out after the restart, with the same webhook-id', async () => {
    await ensureTestImages();
    receiver = await startWebhookReceiver();
    receiver.answer([], 500); // fail every attempt until told otherwise
    dataDir = await mkdtemp(join(tmpdir(), 'runlater-webhook-kill-'));
    child = startDev(dataDir, port, token);
    await waitFor('the dev server', healthy, { timeoutMs: 60_000, intervalMs: 200 });

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
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    const beforeRestart = receiver.received.length;
    assert.ok(beforeRestart >= 1);

    receiver.answer([], 200);
    child = startDev(dataDir, port, token);
    await waitFor('the restarted dev server', healthy, { timeoutMs: 60_000, intervalMs: 200 });
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
