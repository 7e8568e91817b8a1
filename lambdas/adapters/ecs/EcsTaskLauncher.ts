import {
  DescribeTasksCommand,
  RunTaskCommand,
  StopTaskCommand,
  type ECSClient,
  type KeyValuePair,
  type RunTaskCommandInput,
} from '@aws-sdk/client-ecs';
import { RetryLaterError } from '../../core/errors.ts';
import type { StdinStore, TaskDescription, TaskLauncher, TaskSpec } from '../../core/ports.ts';
import { envPairs } from '../../core/envPairs.ts';
import { containerEnvironment, startedByFor } from '../../core/taskSpec.ts';
import {
  ecsPhases,
  INIT_CONTAINER_NAME,
  JOB_CONTAINER_NAME,
  stopCause,
  stopReason,
} from './taskStateChange.ts';
import { familyFor } from './taskFamily.ts';

/** ECS caps a RunTask's overrides at 8192 characters in all. */
export const MAX_OVERRIDE_CHARS = 8192;

export interface EcsTaskLauncherConfig {
  cluster: string;
  /** Only a launcher that starts tasks needs these; stopping and describing need the cluster alone. */
  network?: { subnets: string[]; securityGroups: string[]; assignPublicIp: boolean };
  /** Default DEFAULT_FAMILY_PREFIX. */
  familyPrefix?: string;
  /** Runs before each RunTask: brings the worker's task definition up to this deploy's settings. */
  beforeLaunch?: (worker: TaskSpec['worker']) => Promise<void>;
}

/**
 * ECS drops task definition and override env entries whose value is empty, where `docker run`
 * sets them empty: the shim sets the names listed here, so both modes give the program the same env.
 */
export const EMPTY_ENV_NAME = 'RUNLATER_EMPTY_ENV';

/**
 * One Fargate task per job attempt, with RunTask's clientToken as the attempt's idempotency key.
 * The task definition (one per worker) carries the image, the worker's env and the shim; the
 * overrides carry the job's env and, for the init container, its stdin (inline, or as a
 * presigned URL when inline would not fit in ECS's 8192 characters).
 */
export class EcsTaskLauncher implements TaskLauncher {
  constructor(
    private readonly ecs: ECSClient,
    /** Only a launcher that starts tasks needs it (large stdin goes to the task through S3). */
    private readonly stdin: StdinStore | undefined,
    private readonly config: EcsTaskLauncherConfig,
  ) {}

  async launch(spec: TaskSpec): Promise<{ taskId: string }> {
    try {
      await this.config.beforeLaunch?.(spec.worker);
    } catch (err) {
      throw classify(err);
    }
    const input = await this.runTaskInput(spec);
    let answer;
    try {
      answer = await this.ecs.send(new RunTaskCommand(input));
    } catch (err) {
      throw classify(err);
    }
    const task = answer.tasks?.[0];
    if (task?.taskArn) return { taskId: task.taskArn };
    const failure = answer.failures?.[0];
    // Capacity (RESOURCE:*, AGENT, Capacity is unavailable…) passes; never the job's fault.
    throw new RetryLaterError(
      `RunTask started no task: ${failure?.reason ?? 'unknown'} ${failure?.detail ?? ''}`.trim(),
      'capacity',
    );
  }

  /** The RunTask input for an attempt, its overrides within ECS's limit. */
  async runTaskInput(spec: TaskSpec): Promise<RunTaskCommandInput> {
    const { network } = this.config;
    const stdin = this.stdin;
    if (!network || !stdin) throw new Error('this launcher was built to stop tasks only, not to start them');
    const empty = Object.entries(containerEnvironment(spec))
      .filter(([, value]) => value === '')
      .map(([name]) => name);
    const jobEnv = [
      ...envPairs(spec.env),
      ...(empty.length ? [{ name: EMPTY_ENV_NAME, value: empty.join(',') }] : []),
    ];
    let initEnv: KeyValuePair[] =
      'inlineBase64' in spec.stdin
        ? [{ name: 'RUNLATER_STDIN_B64', value: spec.stdin.inlineBase64 }]
        : [{ name: 'RUNLATER_STDIN_URL', value: await stdin.url(spec.stdin.blobKey) }];
    // The init container refuses stdin bytes with another digest (lambdas/shim/init.sh).
    const digest: KeyValuePair[] = spec.stdin.sha256
      ? [{ name: 'RUNLATER_STDIN_SHA256', value: spec.stdin.sha256 }]
      : [];
    const overrides = () => ({
      containerOverrides: [
        { name: INIT_CONTAINER_NAME, environment: [...initEnv, ...digest] },
        { name: JOB_CONTAINER_NAME, environment: jobEnv },
      ],
    });
    if (JSON.stringify(overrides()).length > MAX_OVERRIDE_CHARS && 'inlineBase64' in spec.stdin) {
      // Inline stdin and a large env together do not fit: the stdin goes through S3 instead.
      const key = await stdin.put(spec.jobId, Buffer.from(spec.stdin.inlineBase64, 'base64'));
      initEnv = [{ name: 'RUNLATER_STDIN_URL', value: await stdin.url(key) }];
    }
    const size = JSON.stringify(overrides()).length;
    if (size > MAX_OVERRIDE_CHARS)
      throw new Error(
        `the task's overrides take ${size} characters; ECS allows ${MAX_OVERRIDE_CHARS}: shorten the job's env`,
      );
    return {
      cluster: this.config.cluster,
      taskDefinition: familyFor(spec.worker.name, this.config.familyPrefix),
      launchType: 'FARGATE',
      count: 1,
      clientToken: spec.clientToken,
      startedBy: startedByFor(spec.jobId, spec.attempt),
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: network.subnets,
          securityGroups: network.securityGroups,
          assignPublicIp: network.assignPublicIp ? 'ENABLED' : 'DISABLED',
        },
      },
      overrides: overrides(),
      tags: [
        { key: 'runlater:job', value: spec.jobId },
        { key: 'runlater:attempt', value: String(spec.attempt) },
      ],
    };
  }

  async stop(taskId: string, reason: string): Promise<void> {
    try {
      await this.ecs.send(
        new StopTaskCommand({ cluster: this.config.cluster, task: taskId, reason: reason.slice(0, 255) }),
      );
    } catch (err) {
      // A task ECS no longer knows has stopped already.
      if ((err as Error).name === 'InvalidParameterException') return;
      throw classify(err);
    }
  }

  async describe(taskId: string): Promise<TaskDescription | undefined> {
    const out = await this.ecs.send(
      new DescribeTasksCommand({ cluster: this.config.cluster, tasks: [taskId] }),
    );
    const task = out.tasks?.[0];
    if (!task) return undefined; // failures: MISSING — ECS forgets stopped tasks after about an hour
    const job = task.containers?.find((c) => c.name === JOB_CONTAINER_NAME);
    const state: TaskDescription['state'] =
      task.lastStatus === 'STOPPED'
        ? 'stopped'
        : ['RUNNING', 'DEACTIVATING', 'STOPPING', 'DEPROVISIONING'].includes(task.lastStatus ?? '')
          ? 'running'
          : 'pending';
    const exitCode = typeof job?.exitCode === 'number' ? job.exitCode : null;
    const reason = stopReason(task.stoppedReason, job?.reason);
    const phases = ecsPhases(task);
    return {
      state,
      ...(Object.keys(phases).length > 0 ? { phases } : {}),
      ...(state === 'stopped' ? { exitCode, cause: stopCause(task.stopCode, reason ?? '', exitCode) } : {}),
      ...(reason ? { reason } : {}),
    };
  }
}

/** Throttling comes as ThrottlingException, or wrapped (a ClientException saying "Rate exceeded"). */
export function classify(err: unknown): Error {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const text = `${e.name ?? ''} ${e.message ?? ''}`;
  if (
    /Throttl|Rate exceeded|TooManyRequests|RequestLimitExceeded/i.test(text) ||
    e.$metadata?.httpStatusCode === 429
  )
    return new RetryLaterError(`ECS is throttling: ${e.message ?? e.name}`, 'throttled', { cause: err });
  if (e.name === 'ServerException' || (e.$metadata?.httpStatusCode ?? 0) >= 500)
    return new RetryLaterError(`ECS is unavailable: ${e.message ?? e.name}`, 'unavailable', { cause: err });
  return err as Error;
}
