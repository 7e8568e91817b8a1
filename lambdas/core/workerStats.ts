import { NotFoundError } from './errors.ts';
import type { Clock, ConcurrencySlots, JobStore, WorkerStore } from './ports.ts';
import type { WorkerStats } from './schemas.ts';

/**
 * A worker's backlog as counts, read from the job index and the worker's slots (never by listing
 * its jobs): what is queued, held back by the limit, starting, running, and what finished lately.
 */
export async function workerStats(
  deps: { workers: WorkerStore; jobs: JobStore; slots: ConcurrencySlots; clock: Clock },
  name: string,
): Promise<WorkerStats> {
  const worker = await deps.workers.get(name);
  if (!worker) throw new NotFoundError(`worker "${name}" does not exist`);
  const now = deps.clock.now();
  const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000);
  const [active, lastHour, lastDay, holders] = await Promise.all([
    deps.jobs.countActive(name),
    deps.jobs.countFinished(name, ago(3600)),
    deps.jobs.countFinished(name, ago(86400)),
    deps.slots.holders(name),
  ]);
  return {
    worker: name,
    maxConcurrency: worker.maxConcurrency ?? null,
    queued: active.queued,
    waitingOnConcurrency: active.heldBack,
    starting: active.starting,
    running: active.running,
    slotsInUse: holders.length,
    finished: { lastHour, lastDay },
    at: now.toISOString(),
  };
}
