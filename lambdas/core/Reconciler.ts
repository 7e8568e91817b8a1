import { JobStatus } from './jobStatus.ts';
import {
  TaskStopCause,
  type Clock,
  type DispatchQueue,
  type JobStore,
  type StoredJob,
  type TaskLauncher,
} from './ports.ts';
import { TIMEOUT_STOP_REASON } from './taskSpec.ts';
import type { TaskStatusRecorder } from './TaskStatusRecorder.ts';

export interface ReconcileSummary {
  checked: number;
  settled: number;
  redispatched: number;
  timedOut: number;
}

export interface ReconcilerOptions {
  /** A starting job that made no progress for this long is looked at (default 5 minutes). */
  stuckAfterSeconds?: number;
  /**
   * A queued job still waiting this long after its runAt has lost its dispatch message (a POST
   * that died between writing the job and sending it, a message dropped): it is sent again
   * (default 60 s). A healthy queue dispatches a due job within seconds, and a duplicate message
   * is dropped by the dispatcher, so this can be short.
   */
  lostDispatchAfterSeconds?: number;
  /** Grace after a job's timeout before the reconciler stops its task itself (default 30 s). */
  timeoutGraceSeconds?: number;
  /** At most this many jobs per status per run, so a run stays short. */
  maxJobsPerStatus?: number;
}

/**
 * Runs on a timer and settles what events alone would leave hanging: a job whose task stopped or
 * vanished while its events were missed, a job past its timeout whose task still runs, a job
 * whose dispatch message was lost. Everything it does goes through the same conditional
 * transitions as the events, so running it at any time, or twice, is safe.
 */
export class Reconciler {
  private readonly stuckMs: number;
  private readonly lostDispatchMs: number;
  private readonly graceMs: number;
  private readonly maxJobs: number;

  constructor(
    private readonly deps: {
      jobs: JobStore;
      launcher: TaskLauncher;
      queue: DispatchQueue;
      clock: Clock;
      recorder: TaskStatusRecorder;
    },
    options: ReconcilerOptions = {},
  ) {
    this.stuckMs = (options.stuckAfterSeconds ?? 300) * 1000;
    this.lostDispatchMs = (options.lostDispatchAfterSeconds ?? 60) * 1000;
    this.graceMs = (options.timeoutGraceSeconds ?? 30) * 1000;
    this.maxJobs = options.maxJobsPerStatus ?? 500;
  }

  async run(): Promise<ReconcileSummary> {
    const summary: ReconcileSummary = { checked: 0, settled: 0, redispatched: 0, timedOut: 0 };
    for (const status of [JobStatus.Running, JobStatus.Starting, JobStatus.Queued]) {
      for (const job of await this.jobsIn(status)) {
        summary.checked++;
        await this.reconcile(job, summary);
      }
    }
    return summary;
  }

  private async jobsIn(status: JobStatus): Promise<StoredJob[]> {
    const found: StoredJob[] = [];
    let cursor: string | undefined;
    do {
      // Oldest first: with more than maxJobs in a status, the longest waiting are never skipped.
      const page = await this.deps.jobs.list({
        status,
        limit: 100,
        oldestFirst: true,
        ...(cursor ? { cursor } : {}),
      });
      found.push(...page.jobs);
      cursor = page.nextCursor;
    } while (cursor && found.length < this.maxJobs);
    return found;
  }

  private async reconcile(job: StoredJob, summary: ReconcileSummary): Promise<void> {
    const now = this.deps.clock.now().getTime();
    const idleMs = now - Date.parse(job.updatedAt);

    if (job.status === JobStatus.Queued) {
      // Its message should have come by now: send another (the dispatcher drops duplicates).
      if (now - Date.parse(job.runAt) > this.lostDispatchMs) {
        await this.deps.queue.send({ jobId: job.id, attempt: job.attempt + 1 }, 0);
        summary.redispatched++;
      }
      return;
    }

    if (!job.taskId) {
      if (idleMs > this.stuckMs) {
        await this.deps.queue.send({ jobId: job.id, attempt: job.attempt }, 0);
        summary.redispatched++;
      }
      return;
    }

    const task = await this.deps.launcher.describe(job.taskId);
    if (!task || task.state === 'stopped') {
      const result = await this.deps.recorder.record({
        taskId: job.taskId,
        jobId: job.id,
        attempt: job.attempt,
        state: 'stopped',
        at: task?.phases?.stoppedAt ?? new Date(now),
        exitCode: task?.exitCode ?? null,
        cause: task?.cause ?? TaskStopCause.Lost,
        ...(task?.phases ? { phases: task.phases } : {}),
        reason: task ? (task.reason ?? 'task stopped') : 'the task vanished: no record of it remains',
      });
      if (result === 'recorded') summary.settled++;
      return;
    }

    if (task.state === 'running' && job.status === JobStatus.Starting) {
      await this.deps.recorder.record({
        taskId: job.taskId,
        jobId: job.id,
        attempt: job.attempt,
        state: 'running',
        at: task.phases?.startedAt ?? new Date(now),
        ...(task.phases ? { phases: task.phases } : {}),
      });
    }

    const startedAt =
      task.phases?.startedAt?.getTime() ?? (job.startedAt ? Date.parse(job.startedAt) : undefined);
    if (startedAt !== undefined && now > startedAt + job.timeoutSeconds * 1000 + this.graceMs) {
      await this.deps.launcher.stop(job.taskId, TIMEOUT_STOP_REASON);
      summary.timedOut++;
    }
  }
}
