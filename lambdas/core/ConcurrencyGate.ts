import { TransitionConflictError } from './errors.ts';
import { ACTIVE_STATUSES, JobStatus } from './jobStatus.ts';
import { JobStateMachine } from './JobStateMachine.ts';
import type {
  Clock,
  ConcurrencySlots,
  DispatchQueue,
  JobObserver,
  JobStore,
  StoredJob,
  WorkerStore,
} from './ports.ts';
import type { Worker } from './schemas.ts';

export interface ConcurrencyGateDeps {
  jobs: JobStore;
  workers: WorkerStore;
  slots: ConcurrencySlots;
  queue: DispatchQueue;
  clock: Clock;
  observer?: JobObserver;
}

/** Held-back jobs of a worker with no limit (any more) are sent on in batches of this many. */
const UNLIMITED_WAKE_BATCH = 100;

/** The slot of one attempt of one job. */
export function slotHolder(jobId: string, attempt: number): string {
  return `${jobId}#${attempt}`;
}

/**
 * The rule of a worker's `maxConcurrency`: an attempt starts only holding one of the worker's N
 * slots, and gives it back when it ends. A job that finds no slot stays `queued`, held back
 * (`waiting: concurrency`), and is sent to the dispatcher again when a slot frees, highest
 * priority first, oldest within a priority. Slots are per attempt (`<jobId>#<attempt>`), so a
 * release missed in a crash is found by the reconciler (`settle`): a holder whose attempt is no
 * longer starting or running holds nothing.
 */
export class ConcurrencyGate {
  private readonly machine: JobStateMachine;

  constructor(private readonly deps: ConcurrencyGateDeps) {
    this.machine = new JobStateMachine(deps);
  }

  /**
   * May this queued job start `attempt` now? True when the worker has no limit or the attempt
   * holds a slot (taken now, or before a crash). Otherwise the job is held back and false returned.
   * A job steps aside for held-back jobs that start before it, and sends them on.
   */
  async admit(job: StoredJob, worker: Worker, attempt: number): Promise<boolean> {
    const limit = worker.maxConcurrency;
    if (limit === undefined) return true;
    const holder = slotHolder(job.id, attempt);
    // Two rounds: after holding the job back, look once more, in case a slot was released
    // before the hold was written (that release's wake-up could not see this job yet).
    for (let round = 0; round < 2; round++) {
      const held = await this.deps.slots.holders(worker.name);
      if (held.some((h) => h.holder === holder)) return true;
      const free = limit - held.length;
      if (free > 0) {
        const ahead = await this.deps.jobs.waiting(worker.name, free);
        const last = ahead[free - 1];
        const mayGo = !last || ahead.some((w) => w.id === job.id) || startsBefore(job, last);
        if (mayGo && (await this.deps.slots.acquire(worker.name, holder, limit, this.deps.clock.now())))
          return true;
        if (!mayGo) await this.send(ahead);
      }
      if (job.heldBack) return false;
      const reason = `waiting: concurrency (worker "${worker.name}" runs at most ${limit} at once)`;
      try {
        job = await this.machine.holdBack(job, reason);
      } catch (err) {
        if (err instanceof TransitionConflictError) return false; // started or cancelled meanwhile
        throw err;
      }
    }
    return false;
  }

  /**
   * Gives the attempt's slot back (by default the job's current one), and sends the next
   * held-back jobs on. A worker with no limit holds no slots, and costs no write here: jobs held
   * back before its limit was lifted are sent on by the update and the reconciler.
   */
  async release(job: StoredJob, attempt = job.attempt): Promise<void> {
    const worker = await this.deps.workers.get(job.worker);
    if (worker?.maxConcurrency === undefined) return;
    await this.deps.slots.release(job.worker, slotHolder(job.id, attempt));
    await this.wake(job.worker, worker);
  }

  /** Sends as many held-back jobs as there are free slots (all, bounded, when there is no limit). */
  async wake(workerName: string, known?: Worker): Promise<number> {
    const worker = known ?? (await this.deps.workers.get(workerName));
    const limit = worker?.maxConcurrency;
    const free =
      limit === undefined ? UNLIMITED_WAKE_BATCH : limit - (await this.deps.slots.holders(workerName)).length;
    if (free <= 0) return 0;
    const next = await this.deps.jobs.waiting(workerName, free);
    await this.send(next);
    return next.length;
  }

  /**
   * Frees the slots whose attempt is no longer starting or running (its release was lost in a
   * crash), then wakes the worker's held-back jobs. A slot younger than `graceMs` is left alone:
   * its dispatcher may be between taking it and starting the attempt.
   */
  async settle(workerName: string, graceMs: number): Promise<{ freed: number; woken: number }> {
    const now = this.deps.clock.now().getTime();
    let freed = 0;
    for (const { holder, since } of await this.deps.slots.holders(workerName)) {
      if (now - Date.parse(since) < graceMs) continue;
      const [jobId, attempt] = holder.split('#');
      const job = await this.deps.jobs.get(jobId!);
      const active = job && ACTIVE_STATUSES.includes(job.status) && job.attempt === Number(attempt);
      if (active) continue;
      await this.deps.slots.release(workerName, holder);
      freed++;
    }
    return { freed, woken: await this.wake(workerName) };
  }

  /** The observer that gives a slot back whenever an attempt ends, however it ends. */
  observer(): JobObserver {
    return { onAttemptEnded: (job) => this.release(job) };
  }

  private async send(jobs: StoredJob[]): Promise<void> {
    for (const job of jobs)
      if (job.status === JobStatus.Queued)
        await this.deps.queue.send({ jobId: job.id, attempt: job.attempt + 1 }, 0);
  }
}

/** Start order: higher priority first, then older (ids are ULIDs: creation order). */
export function startsBefore(a: StoredJob, b: StoredJob): boolean {
  const pa = a.priority ?? 0;
  const pb = b.priority ?? 0;
  return pa !== pb ? pa > pb : a.id < b.id;
}
