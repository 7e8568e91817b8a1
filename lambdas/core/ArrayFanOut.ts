import { childId, parentOutcome, splitLines } from './arrays.ts';
import { cancelJob } from './cancelJob.ts';
import { ConflictError, TransitionConflictError } from './errors.ts';
import { isFinal, JobStatus } from './jobStatus.ts';
import { FinishFrom, type JobStateMachine } from './JobStateMachine.ts';
import { LIMITS } from './limits.ts';
import { newJob } from './newJob.ts';
import type {
  Clock,
  DispatchMessage,
  DispatchQueue,
  JobObserver,
  JobStore,
  StdinRef,
  StdinStore,
  StoredJob,
  TaskLauncher,
} from './ports.ts';

export type FanOutOutcome = 'fanned-out' | 'cancelling' | 'settled' | 'waiting' | 'stale';

/** Children made (or cancelled) per message: each step stays far inside a Lambda's time. */
const DEFAULT_CHUNK = 500;
/** Writes and sends in flight at once within a chunk. */
const PARALLEL = 25;
const UNFINISHED = [JobStatus.Queued, JobStatus.Starting, JobStatus.Running] as const;
export const PARENT_CANCELLED = 'cancelled with its array parent';

/**
 * Makes an array parent's children and settles the parent, one step per dispatch message of the
 * parent, so no request has to write 10,000 jobs at once:
 *
 * - The API stores the parent `queued` with its spec and sends its message like any job's.
 * - Each message makes the next chunk of children (`<parent>-<i>`, conditional creates: a chunk
 *   made again after a crash finds its children there and makes none twice), sends each child's
 *   dispatch message (a duplicate is dropped by the dispatcher), and then records on the parent
 *   how far it got (`advanceArray`); if children are left to make it sends the parent's message
 *   again. A crash anywhere leaves the message undeleted, and its redelivery does the chunk again.
 * - A cancelled parent's messages cancel its unfinished children instead, a chunk at a time.
 * - A child that ends sends its parent a `settle` message (arrayObserver); the parent ends once no
 *   child is unfinished, its state from its children's (arrays.ts, parentOutcome). A settle lost
 *   in a crash is sent again by the reconciler, which looks at every running parent.
 */
export class ArrayFanOut {
  private readonly chunk: number;

  constructor(
    private readonly deps: {
      jobs: JobStore;
      queue: DispatchQueue;
      stdin: StdinStore;
      launcher: TaskLauncher;
      clock: Clock;
    },
    private readonly machine: JobStateMachine,
    options: { chunk?: number } = {},
  ) {
    this.chunk = options.chunk ?? DEFAULT_CHUNK;
  }

  /** One step for a parent's message (the parent is due and its dependencies, if any, met). */
  async advance(parent: StoredJob, message: DispatchMessage): Promise<FanOutOutcome> {
    let job = parent;
    if (isFinal(job.status)) return 'stale';
    if (job.status === JobStatus.Queued) {
      if (message.settle || job.attempt !== 0) return 'stale';
      try {
        job = await this.machine.startArray(job);
      } catch (err) {
        if (!(err instanceof TransitionConflictError)) throw err;
        job = err.current as StoredJob;
        if (job.status !== JobStatus.Running) return 'stale';
      }
    }
    if (!message.settle) {
      if (job.cancelRequested) {
        if (await this.cancelChunk(job)) {
          await this.again(job);
          return 'cancelling';
        }
      } else if (job.array!.created < job.array!.size) {
        job = await this.makeChunk(job);
        if (job.array!.created < job.array!.size) {
          await this.again(job);
          return 'fanned-out';
        }
      }
    }
    return this.settle(job);
  }

  /** Ends the parent if none of its children is left to run; its state from theirs. */
  async settle(job: StoredJob): Promise<FanOutOutcome> {
    const { size, created } = job.array!;
    if (job.status !== JobStatus.Running) return 'stale';
    if (created < size && !job.cancelRequested) return 'waiting';
    // The cheap look first: one child still to run is enough to wait (an ending child sends its
    // parent a settle message, so this is asked once per child: it must not count them all).
    for (const status of UNFINISHED) {
      const page = await this.deps.jobs.children(job.id, { status, limit: 1, created });
      if (page.jobs.length > 0) return 'waiting';
    }
    const outcome = parentOutcome(
      await this.deps.jobs.countChildren(job.id),
      created,
      size,
      job.cancelRequested,
    );
    if (!outcome) return 'waiting';
    try {
      await this.machine.finish(job, FinishFrom.Array, {
        status: outcome.status,
        exitCode: null,
        reason: outcome.error,
        at: this.deps.clock.now(),
      });
    } catch (err) {
      // Settled by another message meanwhile, or cancelled: its own message settles it then.
      if (!(err instanceof TransitionConflictError)) throw err;
    }
    return 'settled';
  }

  private async again(job: StoredJob): Promise<void> {
    await this.deps.queue.send({ jobId: job.id, attempt: job.attempt }, 0);
  }

  /** Makes the next chunk of children and records it on the parent; returns the parent as it is. */
  private async makeChunk(job: StoredJob): Promise<StoredJob> {
    const { size, split, created } = job.array!;
    const end = Math.min(size, created + this.chunk);
    const bytes = await this.parentStdin(job);
    const lines = split === 'lines' ? splitLines(bytes).slice(created, end) : undefined;
    const indexes = Array.from({ length: end - created }, (_, k) => created + k);
    await inParallel(indexes, async (i) => {
      const child = await this.child(job, i, lines ? lines[i - created]! : bytes);
      try {
        await this.machine.create(child);
      } catch (err) {
        // Made by an earlier try of this chunk (a crash, a redelivery): it stays as it is.
        if (!(err instanceof ConflictError)) throw err;
      }
      await this.deps.queue.send({ jobId: child.id, attempt: 1 }, 0);
    });
    try {
      return await this.machine.advanceArray(job, end);
    } catch (err) {
      if (!(err instanceof TransitionConflictError)) throw err;
      // Cancelled (or advanced by another delivery) meanwhile: go on from the parent as it is.
      return err.current as StoredJob;
    }
  }

  private async child(parent: StoredJob, index: number, bytes: Uint8Array): Promise<StoredJob> {
    const id = childId(parent.id, index);
    const now = this.deps.clock.now().toISOString();
    return {
      ...newJob({
        id,
        worker: parent.worker,
        retry: parent.retry,
        createdAt: now,
        runAt: now,
        timeoutSeconds: parent.timeoutSeconds,
        priority: parent.priority ?? 0,
        env: parent.env,
        stdin: await this.childStdin(parent, id, bytes),
        stdinBytes: bytes.length,
        waitingReason: null,
      }),
      parent: parent.id,
      arrayIndex: index,
      arraySize: parent.array!.size,
    };
  }

  /**
   * A child's stdin: inline when small, else its own blob (a line put anew; the whole stdin of a
   * `size` array copied), so deleting one job never takes another's stdin.
   */
  private async childStdin(parent: StoredJob, id: string, bytes: Uint8Array): Promise<StdinRef> {
    if (bytes.length <= LIMITS.inlineStdinBytes)
      return { bytes: bytes.length, inlineBase64: Buffer.from(bytes).toString('base64') };
    if (parent.array!.split === undefined && 'blobKey' in parent.stdin)
      return { bytes: bytes.length, blobKey: await this.deps.stdin.copy(parent.stdin.blobKey, id) };
    return { bytes: bytes.length, blobKey: await this.deps.stdin.put(id, bytes) };
  }

  private async parentStdin(job: StoredJob): Promise<Uint8Array> {
    if ('inlineBase64' in job.stdin) return Buffer.from(job.stdin.inlineBase64, 'base64');
    // A `size` array with large stdin copies it blob to blob: no need to read it here.
    if (job.array!.split === undefined) return new Uint8Array(job.stdin.bytes);
    return this.deps.stdin.read(job.stdin.blobKey);
  }

  /**
   * Cancels up to a chunk of the parent's unfinished children (queued ones at once, running ones
   * marked and their tasks stopped). True when more may be left for another message.
   */
  private async cancelChunk(job: StoredJob): Promise<boolean> {
    let acted = 0;
    for (const status of UNFINISHED) {
      let cursor: string | undefined;
      do {
        const page = await this.deps.jobs.children(job.id, {
          status,
          limit: this.chunk,
          created: job.array!.created,
          ...(cursor ? { cursor } : {}),
        });
        const todo = page.jobs.filter((c) => !c.cancelRequested).slice(0, this.chunk - acted);
        await inParallel(todo, async (child) => {
          try {
            await cancelJob({ ...this.deps, machine: this.machine }, child, PARENT_CANCELLED);
          } catch (err) {
            // It moved on meanwhile: ended (nothing to do) or started (the next pass marks it).
            if (!(err instanceof TransitionConflictError)) throw err;
          }
        });
        acted += todo.length;
        if (acted >= this.chunk) return true;
        cursor = page.nextCursor;
      } while (cursor);
    }
    return false;
  }
}

/** Runs `work` on each item, at most PARALLEL at once; the first failure is thrown after all settle. */
async function inParallel<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  for (let from = 0; from < items.length; from += PARALLEL) {
    const results = await Promise.allSettled(items.slice(from, from + PARALLEL).map(work));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

/** Sends an ended child's parent a settle message: the parent ends when its last child does. */
export function arrayObserver(queue: DispatchQueue): JobObserver {
  return {
    onFinished: async (job) => {
      if (job.parent !== undefined) await queue.send({ jobId: job.parent, attempt: 1, settle: true }, 0);
    },
  };
}
