import type { StoredWorker, WorkerStore } from '../lambdas/core/ports.ts';

/**
 * Keeps the workers read through it in memory, for `runlater dev` only. Every job submission and
 * dispatch reads its worker; on one machine the dev server is the only writer of the workers table
 * (dynalite's LevelDB admits one process) and every write goes through this object, so the copy
 * is never stale: there is no time-to-live to tune and nothing a user can notice but speed. Not
 * for AWS, where other function instances write the same table.
 *
 * A read that started before a write may finish after it with the old record: `generation` counts
 * writes, and such a read is answered but not remembered.
 */
export class CachingWorkerStore implements WorkerStore {
  private readonly cache = new Map<string, StoredWorker | undefined>();
  private generation = 0;

  constructor(private readonly inner: WorkerStore) {}

  async get(name: string): Promise<StoredWorker | undefined> {
    if (this.cache.has(name)) return copy(this.cache.get(name));
    const seen = this.generation;
    const worker = await this.inner.get(name);
    // Unknown names are remembered too (a typo retried in a loop costs no read), boundedly.
    if (seen === this.generation) {
      if (this.cache.size >= 10_000) this.cache.clear();
      this.cache.set(name, copy(worker));
    }
    return worker;
  }

  list(): Promise<StoredWorker[]> {
    return this.inner.list();
  }

  create(worker: StoredWorker): Promise<void> {
    return this.write(worker.name, () => this.inner.create(worker));
  }

  replace(worker: StoredWorker, expectedRevision: number): Promise<void> {
    return this.write(worker.name, () => this.inner.replace(worker, expectedRevision));
  }

  delete(name: string): Promise<boolean> {
    return this.write(name, () => this.inner.delete(name));
  }

  /** Forgets the name before and after the write, whether it succeeded or not. */
  private async write<T>(name: string, call: () => Promise<T>): Promise<T> {
    this.forget(name);
    try {
      return await call();
    } finally {
      this.forget(name);
    }
  }

  private forget(name: string): void {
    this.generation++;
    this.cache.delete(name);
  }
}

/** Callers may change what they are given: each gets its own copy. */
function copy(worker: StoredWorker | undefined): StoredWorker | undefined {
  return worker === undefined ? undefined : structuredClone(worker);
}
