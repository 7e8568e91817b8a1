import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { JobStatus } from '../lambdas/core/jobStatus.ts';
import type { JobObserver, JobStore } from '../lambdas/core/ports.ts';

const seconds = (from: string | null | undefined, to: string | null | undefined) =>
  from && to ? Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000) : undefined;

// From a tenth of a second (a warm local start) to a day (a long job or a long backlog).
const BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14_400, 86_400];

/** A bound on the pages a scrape reads, so a huge backlog slows a scrape down but never hangs it. */
const MAX_PAGES = 100;

/**
 * The dev server's Prometheus metrics (`GET /metrics`), in a registry of its own. Counters and
 * histograms count what this process saw happen; the queued and running gauges are read from the
 * job store at each scrape, so they are right after a restart too.
 */
export class DevMetrics {
  readonly registry = new Registry();
  private readonly finished = new Counter({
    name: 'runlater_jobs_finished_total',
    help: 'Jobs that reached a final status, by worker and status',
    labelNames: ['worker', 'status'],
    registers: [this.registry],
  });
  private readonly queueWait = new Histogram({
    name: 'runlater_job_queue_wait_seconds',
    help: 'From when an attempt could run (its runAt) to when it started running',
    labelNames: ['worker'],
    buckets: BUCKETS,
    registers: [this.registry],
  });
  private readonly runDuration = new Histogram({
    name: 'runlater_job_run_duration_seconds',
    help: 'From the start of the last attempt to the end of the job, by worker and final status',
    labelNames: ['worker', 'status'],
    buckets: BUCKETS,
    registers: [this.registry],
  });
  private readonly dispatchErrors = new Counter({
    name: 'runlater_dispatch_errors_total',
    help: 'Task launches that failed, by reason (retry_later: Docker busy or unreachable, the job waits)',
    labelNames: ['reason'],
    registers: [this.registry],
  });

  constructor(jobs: JobStore) {
    const perWorker = (name: string, help: string, statuses: JobStatus[]) =>
      new Gauge({
        name,
        help,
        labelNames: ['worker'],
        registers: [this.registry],
        async collect() {
          this.reset();
          const counts = new Map<string, number>();
          for (const status of statuses) {
            let cursor: string | undefined;
            for (let page = 0; page < MAX_PAGES; page++) {
              const { jobs: found, nextCursor } = await jobs.list({ status, limit: 100, cursor });
              for (const job of found) counts.set(job.worker, (counts.get(job.worker) ?? 0) + 1);
              if (!nextCursor) break;
              cursor = nextCursor;
            }
          }
          for (const [worker, n] of counts) this.set({ worker }, n);
        },
      });
    perWorker('runlater_jobs_queued', 'Jobs waiting to start (delays and retries included), by worker', [
      JobStatus.Queued,
    ]);
    perWorker('runlater_jobs_running', 'Jobs starting or running, by worker', [
      JobStatus.Starting,
      JobStatus.Running,
    ]);
  }

  /**
   * Hangs on the job state machine's observer (lambdas/core/JobStateMachine.ts), which hears every
   * transition of every job, whoever made it.
   */
  observer(): JobObserver {
    return {
      onTransition: ({ transition, from, job }) => {
        // An attempt started: its running event is recorded, or it ended so soon that it is
        // finished from `starting` with a start time.
        const attempt = job.attempts?.find((a) => a.attempt === job.attempt);
        const started =
          transition === 'markRunning' || (transition === 'finish' && from === JobStatus.Starting);
        const wait = started ? seconds(job.runAt, attempt?.startedAt) : undefined;
        if (wait !== undefined) this.queueWait.observe({ worker: job.worker }, wait);
      },
      onFinished: (job) => {
        this.finished.inc({ worker: job.worker, status: job.status });
        const attempt = job.attempts?.find((a) => a.attempt === job.attempt);
        const ran = seconds(attempt?.startedAt ?? job.startedAt, job.finishedAt);
        if (ran !== undefined) this.runDuration.observe({ worker: job.worker, status: job.status }, ran);
      },
    };
  }

  dispatchError(reason: string): void {
    this.dispatchErrors.inc({ reason });
  }
}
