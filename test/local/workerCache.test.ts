import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { StoredWorker, WorkerStore } from '../../lambdas/core/ports.ts';
import { CachingWorkerStore } from '../../local/CachingWorkerStore.ts';
import { startTestServer, type TestServer } from '../support/testServer.ts';

describe('runlater dev reads workers from memory, and a change of a worker counts at once', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  const submit = () => server.api('POST', '/v1/jobs', { worker: 'changing', delaySeconds: 3600 });

  it('a job takes its worker as it is at submission: made, replaced, deleted, made again', async () => {
    const missing = await submit();
    assert.equal(missing.status, 400, 'no such worker yet');
    assert.equal(missing.body.error.field, 'worker');

    const image = 'runlater-test/busybox';
    assert.equal(
      (await server.api('POST', '/v1/workers', { name: 'changing', image, timeoutSeconds: 100 })).status,
      201,
    );
    const first = await submit();
    assert.equal(first.status, 202, JSON.stringify(first.body));
    assert.equal(first.body.timeoutSeconds, 100);

    const put = await server.api('PUT', '/v1/workers/changing', { image, timeoutSeconds: 200, priority: 5 });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const second = await submit();
    assert.equal(second.body.timeoutSeconds, 200);
    assert.equal(second.body.priority, 5);

    assert.equal((await server.api('DELETE', '/v1/workers/changing')).status, 204);
    const gone = await submit();
    assert.equal(gone.status, 400, 'the deleted worker takes no more jobs');
    assert.equal(gone.body.error.field, 'worker');

    await server.api('POST', '/v1/workers', { name: 'changing', image, timeoutSeconds: 300 });
    const again = await submit();
    assert.equal(again.status, 202);
    assert.equal(again.body.timeoutSeconds, 300);
  });
});

/** A worker store whose reads wait until the test lets them answer. */
class HeldStore implements WorkerStore {
  stored = new Map<string, StoredWorker>();
  reads = 0;
  private held: (() => void)[] = [];
  hold = false;

  async get(name: string): Promise<StoredWorker | undefined> {
    this.reads++;
    const value = this.stored.get(name);
    if (this.hold) await new Promise<void>((r) => this.held.push(r));
    return value && { ...value };
  }
  release(): void {
    for (const r of this.held.splice(0)) r();
  }
  async list() {
    return [...this.stored.values()];
  }
  async create(w: StoredWorker) {
    this.stored.set(w.name, w);
  }
  async replace(w: StoredWorker) {
    this.stored.set(w.name, w);
  }
  async delete(name: string) {
    return this.stored.delete(name);
  }
}

const worker = (timeoutSeconds: number) => ({ name: 'w', image: 'x', timeoutSeconds }) as StoredWorker;

describe('CachingWorkerStore', () => {
  it('reads a worker once, and hands each caller its own copy', async () => {
    const inner = new HeldStore();
    await inner.create(worker(1));
    const store = new CachingWorkerStore(inner);
    const a = (await store.get('w'))!;
    a.timeoutSeconds = 99;
    assert.equal((await store.get('w'))!.timeoutSeconds, 1);
    assert.equal(inner.reads, 1);
  });

  it('does not remember a read that a write overtook', async () => {
    const inner = new HeldStore();
    await inner.create(worker(1));
    const store = new CachingWorkerStore(inner);
    inner.hold = true;
    const slow = store.get('w'); // reads the old worker, answers after the write below
    await store.replace(worker(2), 1);
    inner.release();
    assert.equal((await slow)!.timeoutSeconds, 1, 'the read answers what it read');
    inner.hold = false;
    assert.equal((await store.get('w'))!.timeoutSeconds, 2, 'but the next read sees the write');
  });
});
