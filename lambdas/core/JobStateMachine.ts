import { ACTIVE_STATUSES, FINAL_STATUSES, isFinal, JobStatus } from './jobStatus.ts';
import type {
  Clock,
  JobCondition,
  JobObserver,
  JobStore,
  JobTransition,
  StoredJob,
  TaskPhases,
} from './ports.ts';
import type { Attempt } from './schemas.ts';
import { newTransitionId } from './ids.ts';
import { newDeliveries } from './webhooks.ts';

/** How an attempt ended, as far as the job's record of it goes. */
export interface AttemptEnd {
  status: JobStatus;
  exitCode: number | null;
  reason: string | null;
  /** When the attempt ended (its task's stop time when known). */
  at: Date;
  taskId?: string;
  phases?: TaskPhases;
}

/** The final states, and what each may be reached from (always at the job's current attempt). */
export const FinishFrom = {
  /** Cancelled before any attempt started (or between attempts). */
  Queued: 'queued',
  /** The dispatcher could not launch the attempt's task: no task was recorded. */
  Unlaunched: 'unlaunched',
  /** The attempt's task stopped (or was settled by the reconciler). */
  Active: 'active',
  /** An array parent whose children are all done (ArrayFanOut). */
  Array: 'array',
} as const;
export type FinishFrom = (typeof FinishFrom)[keyof typeof FinishFrom];

const FINISH_CONDITION: Record<FinishFrom, Omit<JobCondition, 'attempt'>> = {
  queued: { status: [JobStatus.Queued] },
  unlaunched: { status: [JobStatus.Starting], taskId: null },
  active: { status: ACTIVE_STATUSES },
  array: { status: [JobStatus.Running] },
};

export interface JobStateMachineDeps {
  jobs: JobStore;
  clock: Clock;
  observer?: JobObserver;
}

/**
 * The states of a job and the only ways between them. Each verb is ONE conditional write through
 * JobStore.update: it applies only when the stored job still meets the precondition in its doc,
 * and otherwise throws TransitionConflictError carrying the job as it is (callers decide whether
 * that means "someone got there first" or "look again"). Every final state goes through `finish`,
 * so whatever hangs on a job's end (metrics, events, concurrency slots) hangs on the observer here
 * and nowhere else; webhook deliveries are written with the transition itself (core/webhooks.ts).
 *
 * ```
 *   create ─► queued ─startAttempt─► starting ─markRunning─► running
 *               ▲                       │ recordTask              │
 *               └──────── requeue ◄─────┴─────────────────────────┤
 *   finish: queued | starting (no task) | starting/running ─► succeeded | failed | timed_out | cancelled
 *   final ─linkRerun─► final (records a re-run);  final ─remove─► gone
 * ```
 */
export class JobStateMachine {
  constructor(private readonly deps: JobStateMachineDeps) {}

  /** Writes a new job, `queued`. Precondition: no job has its id (else ConflictError). */
  async create(job: StoredJob): Promise<StoredJob> {
    const written = { ...job, lastTransition: stamp('create', JobStatus.Queued) };
    await this.deps.jobs.create(written);
    await this.notify('create', JobStatus.Queued, written);
    return written;
  }

  /**
   * `queued` at attempt n-1 → `starting` at attempt n, with a fresh attempt record and no task.
   * Precondition: status `queued` and attempt `attempt - 1`: a second delivery of one dispatch
   * message finds the attempt taken and starts nothing.
   */
  startAttempt(job: StoredJob, attempt: number): Promise<StoredJob> {
    const now = this.now();
    const record: Attempt = {
      attempt,
      taskId: null,
      status: JobStatus.Starting,
      exitCode: null,
      startedAt: null,
      finishedAt: null,
      reason: null,
      phases: { dispatchedAt: now },
    };
    return this.write(
      'startAttempt',
      job,
      { status: [JobStatus.Queued], attempt: attempt - 1 },
      {
        status: JobStatus.Starting,
        attempt,
        taskId: null,
        waitingReason: null,
        updatedAt: now,
        attempts: [...job.attempts.filter((a) => a.attempt !== attempt), record],
      },
    );
  }

  /**
   * Records the task launched for the current attempt, and clears any waiting reason.
   * Precondition: `starting`, the same attempt, and no task recorded yet (the task's own `running`
   * may have recorded it first).
   */
  recordTask(job: StoredJob, taskId: string): Promise<StoredJob> {
    return this.write(
      'recordTask',
      job,
      { status: [JobStatus.Starting], attempt: job.attempt, taskId: null },
      { taskId, waitingReason: null, updatedAt: this.now(), attempts: patchAttempt(job, { taskId }) },
    );
  }

  /**
   * Says why a `starting` attempt has no task yet (the infrastructure cannot start it now: it is
   * tried again). Not a change of state: precondition `starting`, the same attempt, no task yet.
   */
  noteWaiting(job: StoredJob, waitingReason: string): Promise<StoredJob> {
    return this.write(
      'noteWaiting',
      job,
      { status: [JobStatus.Starting], attempt: job.attempt, taskId: null },
      { waitingReason, updatedAt: this.now() },
    );
  }

  /**
   * Holds a `queued` job back because its worker's concurrency slots are all taken: it stays
   * `queued` and is started by the slot's release (ConcurrencyGate). Not a change of state:
   * precondition `queued` at the same attempt (a job started or cancelled meanwhile is left alone).
   */
  holdBack(job: StoredJob, waitingReason: string): Promise<StoredJob> {
    return this.write(
      'holdBack',
      job,
      { status: [JobStatus.Queued], attempt: job.attempt },
      { status: JobStatus.Queued, heldBack: 'concurrency', waitingReason, updatedAt: this.now() },
    );
  }

  /**
   * `starting` → `running`: the attempt's program started. Precondition: `starting` at the same
   * attempt (a `running` that comes after the stop finds the job moved on and changes nothing).
   * The job's `startedAt` is its first attempt's start and is never moved.
   */
  markRunning(
    job: StoredJob,
    task: { taskId: string; startedAt: Date; phases?: TaskPhases },
  ): Promise<StoredJob> {
    const startedAt = task.startedAt.toISOString();
    return this.write(
      'markRunning',
      job,
      { status: [JobStatus.Starting], attempt: job.attempt },
      {
        status: JobStatus.Running,
        taskId: task.taskId,
        startedAt: job.startedAt ?? startedAt,
        updatedAt: this.now(),
        attempts: patchAttempt(job, {
          taskId: task.taskId,
          status: JobStatus.Running,
          startedAt,
          phases: mergePhases(current(job)?.phases, task.phases),
        }),
      },
    );
  }

  /**
   * `starting`/`running` → `queued` for the next attempt at `runAt` (a retry). The attempt that
   * ended is closed with its outcome; `waitingReason` says why the job waits. Precondition: an
   * active status at the same attempt. With `extraAttempt`, the retry does not use up the job's
   * own attempts (an infrastructure failure): `maxAttempts` grows by one, so the count shown stays
   * true ("attempt 2 of 2", never "attempt 4 of 1").
   */
  requeue(
    job: StoredJob,
    retry: { runAt: Date; waitingReason: string; end: AttemptEnd; extraAttempt?: boolean },
  ): Promise<StoredJob> {
    const { end } = retry;
    return this.write(
      'requeue',
      job,
      { status: ACTIVE_STATUSES, attempt: job.attempt },
      {
        status: JobStatus.Queued,
        taskId: null,
        exitCode: end.exitCode,
        error: end.reason,
        runAt: retry.runAt.toISOString(),
        waitingReason: retry.waitingReason,
        maxAttempts: job.maxAttempts + (retry.extraAttempt ? 1 : 0),
        updatedAt: this.now(),
        attempts: closeAttempt(job, end),
      },
    );
  }

  /**
   * Marks a `starting`/`running` job to be cancelled; it ends `cancelled` when its task's stop is
   * reported. Precondition: an active status at the same attempt.
   */
  requestCancel(job: StoredJob): Promise<StoredJob> {
    return this.write(
      'requestCancel',
      job,
      { status: ACTIVE_STATUSES, attempt: job.attempt },
      { cancelRequested: true, updatedAt: this.now() },
    );
  }

  /**
   * The one way a job ends: → `succeeded`, `failed`, `timed_out` or `cancelled`. Preconditions
   * by `from` (always at the job's current attempt): `queued` (cancelled before it started),
   * `unlaunched` (`starting` with no task: the dispatcher could not launch it), `active`
   * (`starting`/`running`: its task stopped). `finishedAt` is never before `startedAt`.
   */
  finish(job: StoredJob, from: FinishFrom, end: AttemptEnd): Promise<StoredJob> {
    if (!isFinal(end.status)) throw new Error(`finish needs a final status, not ${end.status}`);
    // A job cancelled while queued between attempts keeps the record of the attempt that ended.
    const attempts = from === FinishFrom.Queued ? job.attempts : closeAttempt(job, end);
    const startedAt = job.startedAt ?? current({ ...job, attempts })?.startedAt ?? null;
    return this.write(
      'finish',
      job,
      { ...FINISH_CONDITION[from], attempt: job.attempt },
      {
        status: end.status,
        exitCode: end.exitCode,
        error: end.reason,
        startedAt,
        finishedAt: notBefore(end.at.toISOString(), startedAt),
        waitingReason: null,
        ...(end.status === JobStatus.Cancelled ? { cancelRequested: true } : {}),
        ...(end.taskId !== undefined ? { taskId: end.taskId } : {}),
        updatedAt: this.now(),
        attempts,
      },
    );
  }

  /**
   * An array parent starts making its children: `queued` at attempt 0 → `running` at attempt 1
   * (it has no task and no attempt record: its children have those). Precondition: `queued`,
   * attempt 0, so two deliveries of its message start it once.
   */
  startArray(job: StoredJob): Promise<StoredJob> {
    const now = this.now();
    return this.write(
      'startArray',
      job,
      { status: [JobStatus.Queued], attempt: 0 },
      { status: JobStatus.Running, attempt: 1, startedAt: now, waitingReason: null, updatedAt: now },
    );
  }

  /**
   * Records that an array parent's children up to index `created` (exclusive) exist. Not a
   * change of state: precondition `running` and the parent unchanged since it was read (a cancel
   * meanwhile wins, and the fan-out reads the parent again).
   */
  advanceArray(job: StoredJob, created: number): Promise<StoredJob> {
    return this.write(
      'advanceArray',
      job,
      { status: [JobStatus.Running], updatedAt: job.updatedAt },
      { array: { ...job.array!, created }, updatedAt: this.now() },
    );
  }

  /**
   * Records on a finished job that `rerunId` re-runs it (the new job carries `rerunOf`). Not a
   * change of state: precondition a final status. Links past the last 100 are dropped, oldest
   * first, to keep the item small.
   */
  linkRerun(job: StoredJob, rerunId: string): Promise<StoredJob> {
    const reruns = [...(job.reruns ?? []), rerunId].slice(-100);
    return this.write('linkRerun', job, { status: FINAL_STATUSES }, { reruns, updatedAt: this.now() });
  }

  /**
   * Deletes a finished job's record (its stdin and output are the caller's to delete first, so a
   * crash half way leaves the job to be deleted again). Precondition: a final status — a job
   * that may still hold a task is never deleted under it.
   */
  async remove(job: StoredJob): Promise<void> {
    await this.deps.jobs.remove(job.id, FINAL_STATUSES);
    await this.notify('remove', job.status, job);
  }

  private async write(
    transition: JobTransition,
    job: StoredJob,
    condition: JobCondition,
    patch: Partial<StoredJob>,
  ): Promise<StoredJob> {
    // A write that sets the status also says whether the job is held back, and carries the job's
    // (never changing) worker, priority and array parent: the store keys its indexes on them.
    const stamped = { ...patch, lastTransition: stamp(transition, job.status) };
    const full: Partial<StoredJob> =
      patch.status === undefined
        ? stamped
        : {
            worker: job.worker,
            priority: job.priority ?? 0,
            heldBack: null,
            ...(job.parent !== undefined ? { parent: job.parent, arrayIndex: job.arrayIndex } : {}),
            ...stamped,
          };
    // Deliveries the transition raises are recorded in the same write: none is lost to a crash after it.
    const deliveries = newDeliveries(transition, job, { ...job, ...patch }, patch.updatedAt ?? this.now());
    const written = await this.deps.jobs.update(
      job.id,
      condition,
      full,
      deliveries.length ? { deliveries } : undefined,
    );
    await this.notify(transition, job.status, written);
    return written;
  }

  private async notify(transition: JobTransition, from: JobStatus, job: StoredJob): Promise<void> {
    const { observer } = this.deps;
    if (!observer) return;
    // The write is done and is what counts: an observer's failure is reported, never thrown back
    // into a transition that happened (its caller would retry a write that now conflicts).
    try {
      await observer.onTransition?.({ transition, from, job });
      const attemptEnded = transition === 'requeue' || (transition === 'finish' && from !== JobStatus.Queued);
      if (attemptEnded) await observer.onAttemptEnded?.(job);
      if (transition === 'finish') await observer.onFinished?.(job);
    } catch (err) {
      console.error(`job observer failed on ${transition} of ${job.id}:`, err);
    }
  }

  private now(): string {
    return this.deps.clock.now().toISOString();
  }
}

/** Names the write as a transition: what the job table's stream makes an event of (ports.ts). */
function stamp(name: JobTransition, from: JobStatus): NonNullable<StoredJob['lastTransition']> {
  return { name, from, id: newTransitionId() };
}

function current(job: StoredJob): Attempt | undefined {
  return job.attempts.find((a) => a.attempt === job.attempt);
}

function patchAttempt(job: StoredJob, patch: Partial<Attempt>): Attempt[] {
  return job.attempts.map((a) => (a.attempt === job.attempt ? { ...a, ...patch } : a));
}

function closeAttempt(job: StoredJob, end: AttemptEnd): Attempt[] {
  const record = current(job);
  const startedAt = record?.startedAt ?? end.phases?.startedAt?.toISOString() ?? null;
  return patchAttempt(job, {
    status: end.status,
    exitCode: end.exitCode,
    reason: end.reason,
    startedAt,
    finishedAt: notBefore(end.at.toISOString(), startedAt),
    ...(end.taskId !== undefined ? { taskId: end.taskId } : {}),
    phases: mergePhases(record?.phases, end.phases),
  });
}

/** Clocks of two machines (and rounding to milliseconds) may put a stop before its start: not here. */
function notBefore(at: string, earliest: string | null): string {
  return earliest !== null && Date.parse(at) < Date.parse(earliest) ? earliest : at;
}

function mergePhases(
  recorded: Attempt['phases'],
  phases: TaskPhases | undefined,
): Attempt['phases'] | undefined {
  const merged: NonNullable<Attempt['phases']> = { ...recorded };
  for (const [name, at] of Object.entries(phases ?? {}) as [keyof TaskPhases, Date | undefined][])
    if (at) merged[name] ??= at.toISOString();
  return Object.keys(merged).length > 0 ? merged : undefined;
}
