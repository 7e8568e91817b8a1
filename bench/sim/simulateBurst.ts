import { Logger } from '@aws-lambda-powertools/logger';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { EcsTaskLauncher } from '../../lambdas/adapters/ecs/EcsTaskLauncher.ts';
import { JobService } from '../../lambdas/core/JobService.ts';
import type { Worker } from '../../lambdas/core/schemas.ts';
import { makeDispatcherHandler } from '../../lambdas/handlers/dispatcher.ts';
import type { Runtime } from '../../lambdas/handlers/runtime.ts';
import {
  FARGATE_LAUNCH_QUOTA,
  LaunchPacer,
  shareOf,
  type LaunchQuota,
} from '../../lambdas/pacing/LaunchPacer.ts';
import { PacedTaskLauncher } from '../../lambdas/pacing/PacedTaskLauncher.ts';
import { withRetryBackoff } from '../../lambdas/pacing/retryBackoff.ts';
import { MemoryJobStore, MemoryWorkerStore } from './MemoryStores.ts';
import { SimEcs } from './SimEcs.ts';
import { SimSqs } from './SimSqs.ts';
import { seededRandom, VirtualTime } from './VirtualTime.ts';

export interface BurstOptions {
  jobs: number;
  /** The account's real launch rate (what the simulated ECS enforces). */
  ecsQuota?: LaunchQuota;
  /** What the dispatchers are told the quota is (lib/RunLater.ts `launchQuota`). Default: ecsQuota. */
  pacerQuota?: LaunchQuota;
  concurrency?: number;
  capacityFailureRate?: number;
  /** false: the dispatcher as it was, no pacing and failures waiting out the visibility timeout. */
  paced?: boolean;
  seed?: number;
  maxVirtualSeconds?: number;
}

export interface BurstReport {
  jobs: number;
  launched: number;
  /** Jobs with no task and no message left to start one (dead-lettered or dropped). */
  lost: number;
  /** Jobs still waiting when the simulation's time ran out. */
  unfinished: number;
  /** Tasks started beyond one per job attempt. */
  duplicates: number;
  failedJobs: number;
  /** Launch rate after the initial burst (from launch #burst to launch #95%). */
  sustainedPerSecond: number;
  waitP50Seconds: number;
  waitP99Seconds: number;
  makespanSeconds: number;
  runTaskCalls: number;
  throttled: number;
  capacityFailures: number;
  /** Longest time a failed message took to come back, in seconds (first retries only). */
  firstRetryMaxSeconds: number;
  realMs: number;
}

const worker: Worker = {
  name: 'sim',
  image: 'public.ecr.aws/docker/library/busybox:latest',
  env: {},
  cpu: 256,
  memory: 512,
  timeoutSeconds: 60,
  retry: { maxAttempts: 1, backoff: 'none', jitter: true },
  createdAt: '2026-11-26T00:00:00.000Z',
  updatedAt: '2026-11-26T00:00:00.000Z',
  revision: 1,
} as Worker;

/**
 * A burst of jobs submitted at once, dispatched by the real JobService, Dispatcher, dispatcher
 * handler, EcsTaskLauncher and pacing code, against a simulated SQS (event source with
 * `concurrency` pollers, batches of 10, 180 s visibility, 50 receives to the dead-letter queue)
 * and a simulated ECS (launch token bucket, a rate of capacity failures), on a virtual clock.
 */
export async function simulateBurst(options: BurstOptions): Promise<BurstReport> {
  const realStart = Date.now();
  const ecsQuota = options.ecsQuota ?? FARGATE_LAUNCH_QUOTA;
  const concurrency = options.concurrency ?? 5;
  const paced = options.paced ?? true;
  const random = seededRandom(options.seed ?? 1);
  const time = new VirtualTime();
  const start = time.now();

  const sqs = new SimSqs(time, {
    visibilityTimeoutSeconds: 180,
    maxReceiveCount: 50,
    batchSize: 10,
    concurrency,
    pollOverheadMs: 20,
  });
  const ecs = new SimEcs(
    time,
    { ...ecsQuota, capacityFailureRate: options.capacityFailureRate ?? 0.02, latencyMs: [60, 200] },
    random,
  );
  const jobs = new MemoryJobStore(time);
  const unused = () => Promise.reject(new Error('not used by the simulation'));
  const ecsLauncher = new EcsTaskLauncher(
    ecs as unknown as ECSClient,
    { put: unused, copy: unused, url: unused, read: unused, delete: unused },
    { cluster: 'sim', network: { subnets: ['subnet-1'], securityGroups: ['sg-1'], assignPublicIp: false } },
  );
  const runtime = {
    jobs,
    workers: new MemoryWorkerStore([worker]),
    queue: sqs,
    launcher: ecsLauncher,
    clock: time.clock,
  } as unknown as Runtime;
  const logger = new Logger({
    serviceName: 'sim',
    logLevel: (process.env.SIM_LOG_LEVEL as 'SILENT') ?? 'SILENT',
  });

  // One handler per dispatcher instance (a Lambda instance handles one batch at a time and
  // holds its own pacer); the event source runs `concurrency` of them.
  const instances = Array.from({ length: concurrency }, (): ((e: SQSEvent) => Promise<SQSBatchResponse>) => {
    if (!paced) return makeDispatcherHandler(runtime, logger);
    const pacer = new LaunchPacer(shareOf(options.pacerQuota ?? ecsQuota, concurrency), time);
    return withRetryBackoff(
      makeDispatcherHandler({ ...runtime, launcher: new PacedTaskLauncher(ecsLauncher, pacer) }, logger),
      sqs,
      random,
    );
  });

  const service = new JobService({ ...runtime, stdin: undefined, logs: undefined } as never);
  const submitted: string[] = [];
  const submits = Array.from({ length: options.jobs }, (_, i) =>
    service.submit({ worker: worker.name, stdin: `job ${i}` }).then((r) => void (submitted[i] = r.job.id)),
  );
  await time.run(Number.POSITIVE_INFINITY, () => submitted.filter(Boolean).length === options.jobs);
  await Promise.all(submits);

  sqs.startPollers(instances);
  const deadline = start + (options.maxVirtualSeconds ?? 4 * 3600) * 1000;
  await time.run(deadline, () => ecs.tasks.size >= options.jobs || sqs.depth === 0);
  sqs.stop();

  const launchTimes: number[] = [];
  const waits: number[] = [];
  let duplicates = 0;
  let lost = 0;
  let unfinished = 0;
  for (const id of submitted) {
    const tasks = ecs.tasks.get(id) ?? [];
    const perAttempt = new Map<number, number>();
    for (const t of tasks) perAttempt.set(t.attempt, (perAttempt.get(t.attempt) ?? 0) + 1);
    for (const n of perAttempt.values()) duplicates += n - 1;
    if (tasks.length === 0) {
      if (sqs.hasMessageFor(id)) unfinished++;
      else lost++;
      continue;
    }
    launchTimes.push(tasks[0]!.at);
    waits.push(tasks[0]!.at - Date.parse(jobs.jobs.get(id)!.createdAt));
  }
  launchTimes.sort((a, b) => a - b);
  waits.sort((a, b) => a - b);
  const from = Math.min(ecsQuota.burst, launchTimes.length - 1);
  const to = Math.floor(0.95 * launchTimes.length) - 1;
  const sustained =
    to > from && launchTimes[to]! > launchTimes[from]!
      ? ((to - from) * 1000) / (launchTimes[to]! - launchTimes[from]!)
      : NaN;
  const retries = sqs.firstRetryGapsMs;
  return {
    jobs: options.jobs,
    launched: launchTimes.length,
    lost,
    unfinished,
    duplicates,
    failedJobs: [...jobs.jobs.values()].filter((j) => j.status === 'failed').length,
    sustainedPerSecond: round(sustained, 2),
    waitP50Seconds: round(percentile(waits, 0.5) / 1000, 1),
    waitP99Seconds: round(percentile(waits, 0.99) / 1000, 1),
    makespanSeconds: round(((launchTimes.at(-1) ?? start) - start) / 1000, 1),
    runTaskCalls: ecs.calls,
    throttled: ecs.throttled,
    capacityFailures: ecs.capacityFailures,
    firstRetryMaxSeconds: round(Math.max(0, ...retries) / 1000, 1),
    realMs: Date.now() - realStart,
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function round(n: number, digits: number): number {
  return Number.isFinite(n) ? Number(n.toFixed(digits)) : n;
}
