import { ConflictError, NotFoundError, TransitionConflictError } from '../../lambdas/core/errors.ts';
import { FINAL_STATUSES, type FinalStatus, type JobStatus } from '../../lambdas/core/jobStatus.ts';
import type { JobCondition, JobStore, StoredJob, WorkerStore } from '../../lambdas/core/ports.ts';
import type { ChildCounts } from '../../lambdas/core/arrays.ts';
import type { Worker } from '../../lambdas/core/schemas.ts';
import type { VirtualTime } from './VirtualTime.ts';

/**
 * The job store port in memory, each call costing `latencyMs` of virtual time (a DynamoDB round
 * trip). Conditional updates have the port's semantics, so the Dispatcher's rules run unchanged.
 */
export class MemoryJobStore implements JobStore {
  readonly jobs = new Map<string, StoredJob>();

  constructor(
    private readonly time: VirtualTime,
    private readonly latencyMs = 5,
  ) {}

  async create(job: StoredJob): Promise<void> {
    await this.time.sleep(this.latencyMs);
    if (this.jobs.has(job.id)) throw new ConflictError(`job ${job.id} exists`);
    this.jobs.set(job.id, structuredClone(job));
  }

  async get(id: string): Promise<StoredJob | undefined> {
    await this.time.sleep(this.latencyMs);
    const job = this.jobs.get(id);
    return job && structuredClone(job);
  }

  async list(): Promise<{ jobs: StoredJob[] }> {
    throw new Error('not used by the simulation');
  }

  async children(): Promise<{ jobs: StoredJob[] }> {
    throw new Error('not used by the simulation');
  }

  async countChildren(): Promise<ChildCounts> {
    throw new Error('not used by the simulation');
  }

  async update(id: string, condition: JobCondition, patch: Partial<StoredJob>): Promise<StoredJob> {
    await this.time.sleep(this.latencyMs);
    const job = this.jobs.get(id);
    if (!job) throw new NotFoundError(`no job ${id}`);
    const meets =
      condition.status.includes(job.status) &&
      (condition.attempt === undefined || condition.attempt === job.attempt) &&
      (condition.taskId === undefined || condition.taskId === job.taskId);
    if (!meets) throw new TransitionConflictError(`job ${id} is ${job.status}`, structuredClone(job));
    const next = { ...job, ...structuredClone(patch) };
    this.jobs.set(id, next);
    return structuredClone(next);
  }

  async remove(id: string, statuses: readonly JobStatus[]): Promise<void> {
    await this.time.sleep(this.latencyMs);
    const job = this.jobs.get(id);
    if (!job) throw new NotFoundError(`no job ${id}`);
    if (!statuses.includes(job.status))
      throw new TransitionConflictError(`job ${id} is ${job.status}`, structuredClone(job));
    this.jobs.delete(id);
  }

  async claimIdempotencyKey(): Promise<undefined> {
    return undefined;
  }

  /** Held-back jobs in start order: highest priority first, oldest within a priority. */
  async waiting(worker: string, limit: number): Promise<StoredJob[]> {
    await this.time.sleep(this.latencyMs);
    return [...this.jobs.values()]
      .filter((j) => j.worker === worker && j.status === 'queued' && Boolean(j.heldBack))
      .sort((a, b) => (b.priority ?? 0) - (a.priority ?? 0) || a.createdAt.localeCompare(b.createdAt))
      .slice(0, limit)
      .map((j) => structuredClone(j));
  }

  async countActive(worker: string) {
    await this.time.sleep(this.latencyMs);
    const counts = { queued: 0, heldBack: 0, starting: 0, running: 0 };
    for (const j of this.jobs.values()) {
      if (j.worker !== worker) continue;
      if (j.status === 'queued') {
        counts.queued++;
        if (j.heldBack) counts.heldBack++;
      } else if (j.status === 'starting' || j.status === 'running') counts[j.status]++;
    }
    return counts;
  }

  async countFinished(worker: string, since: Date) {
    await this.time.sleep(this.latencyMs);
    const counts = Object.fromEntries(FINAL_STATUSES.map((s) => [s, 0])) as Record<FinalStatus, number>;
    for (const j of this.jobs.values()) {
      const final = (FINAL_STATUSES as readonly string[]).includes(j.status);
      if (j.worker === worker && final && j.finishedAt && new Date(j.finishedAt) >= since) {
        counts[j.status as FinalStatus]++;
      }
    }
    return counts;
  }
}

export class MemoryWorkerStore implements WorkerStore {
  constructor(private readonly workers: Worker[]) {}
  async create(): Promise<void> {}
  async get(name: string) {
    return this.workers.find((w) => w.name === name);
  }
  async list() {
    return this.workers;
  }
  async replace(): Promise<void> {}
  async delete(): Promise<boolean> {
    return false;
  }
}
