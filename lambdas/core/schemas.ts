import * as z from 'zod';
import { ArraySpec, ArrayView } from './arraySchemas.ts';
import { isValidImageReference } from './imageReference.ts';
import { JOB_STATUSES } from './jobStatus.ts';
import { DEFAULT_PIDS_LIMIT, LIMITS } from './limits.ts';
import { envPairs } from './envPairs.ts';
import { AWS_SECRET_ARN } from './secretArn.ts';
import { ValidationError } from './errors.ts';
import { isValidTimeZone, parseScheduleExpression } from './scheduleExpression.ts';

/**
 * The public API's shapes, as zod schemas. They validate requests and generate the OpenAPI
 * document (`openapi.ts`), so the document cannot drift from what the code accepts.
 */

export const WorkerName = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9_-]{0,62}$/,
    'must be 1-63 characters of a-z, 0-9, "-" and "_", starting with a letter or digit',
  )
  .meta({ description: 'Unique name of the worker', example: 'thumbnailer' });

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function EnvName() {
  return (
    z
      .string()
      .regex(ENV_NAME, 'env names must match [A-Za-z_][A-Za-z0-9_]*')
      .refine((k) => !k.startsWith('RUNLATER_'), {
        message: 'env names starting with RUNLATER_ are reserved',
      })
      // As keys of a JavaScript object these two are not plain data: `__proto__` would be
      // dropped silently and `constructor` cannot be stored, so both are refused by name.
      .refine((k) => k !== '__proto__' && k !== 'constructor', {
        message: 'env names "__proto__" and "constructor" are not supported',
      })
  );
}

function envSchema(maxChars: number, maxVars: number) {
  return z
    .record(
      EnvName(),
      // A process's environment is NUL-terminated C strings: a NUL could never reach the job.
      z
        .string()
        .max(maxChars)
        .refine((v) => !v.includes('\0'), { message: 'env values cannot contain NUL' }),
    )
    .refine((env) => Object.keys(env).length <= maxVars, {
      message: `at most ${maxVars} variables`,
    })
    .refine((env) => Object.entries(env).reduce((n, [k, v]) => n + k.length + v.length, 0) <= maxChars, {
      message: `names and values together must not exceed ${maxChars} characters`,
    });
}

const n = (x: number) => x.toLocaleString('en-US');

export const WorkerEnv = envSchema(LIMITS.workerEnvChars, LIMITS.workerEnvVars).meta({
  description:
    "Environment variables for every job of this worker; a job's own env wins. " +
    `At most ${n(LIMITS.workerEnvVars)} variables and ${n(LIMITS.workerEnvChars)} characters of names and values.`,
  maxProperties: LIMITS.workerEnvVars,
});
export { envPairs };

/** The env as the ECS RunTask override carries it: escaping can double a value's size there. */
export function envAsOverrideJson(env: Record<string, string>): string {
  return JSON.stringify(envPairs(env));
}

export const JobEnv = envSchema(LIMITS.jobEnvChars, LIMITS.jobEnvVars)
  .refine((env) => envAsOverrideJson(env).length <= LIMITS.jobEnvJsonChars, {
    message: `as JSON (quotes, backslashes and control characters escaped) the env must not exceed ${LIMITS.jobEnvJsonChars} characters`,
  })
  .meta({
    description:
      "Environment variables for this job; they override the worker's. " +
      `At most ${n(LIMITS.jobEnvVars)} variables, ${n(LIMITS.jobEnvChars)} characters of names and values, ` +
      `and ${n(LIMITS.jobEnvJsonChars)} characters as the JSON list of {name, value} that ECS gets (escapes count).`,
    maxProperties: LIMITS.jobEnvVars,
  });

export const Image = z
  .string()
  .max(512)
  .refine(isValidImageReference, {
    message: 'is not a valid image reference ([registry/]repository[:tag][@digest])',
  })
  .meta({ description: 'Docker image reference', example: 'busybox:1.36' });

export const Command = z
  .array(z.string().max(4096))
  .min(1)
  .max(256)
  .meta({ description: "argv to run instead of the image's ENTRYPOINT and CMD" });

export const Backoff = z.union([
  z.enum(['none', '1m', '10m', '1h']),
  z.array(z.number().int().min(0).max(LIMITS.maxDelaySeconds)).min(1).max(10),
]);

export const RetryPolicy = z
  .strictObject({
    maxAttempts: z.number().int().min(1).max(10).default(1),
    backoff: Backoff.default('none').meta({
      description: 'Delay before each retry: a named policy (as in asyncjobs) or a list of delays in seconds',
    }),
    jitter: z.boolean().default(true).meta({ description: 'Spread retry delays by up to ±20%' }),
    retryOnExitCodes: z
      .array(z.number().int().min(0).max(255))
      .max(64)
      .optional()
      .meta({ description: 'Only these exit codes are retried (default: any non-zero)' }),
    noRetryExitCodes: z
      .array(z.number().int().min(0).max(255))
      .max(64)
      .optional()
      .meta({ description: 'Exit codes that end the job at once, whatever attempts are left' }),
  })
  .meta({ id: 'RetryPolicy' });
export type RetryPolicy = z.infer<typeof RetryPolicy>;

const Cpu = z.union(
  [256, 512, 1024, 2048, 4096, 8192, 16384].map((n) => z.literal(n)) as unknown as [
    z.ZodLiteral<number>,
    z.ZodLiteral<number>,
  ],
);

const TimeoutSeconds = z.number().int().min(1).max(LIMITS.maxTimeoutSeconds);

const Priority = z.number().int().min(-LIMITS.maxPriority).max(LIMITS.maxPriority);

const MaxConcurrency = z
  .number()
  .int()
  .min(1)
  .max(LIMITS.maxConcurrency)
  .meta({
    description:
      'At most this many jobs of the worker starting or running at once; the rest wait, queued, ' +
      'highest priority first, then oldest. Unset: no limit',
  });

/**
 * Jobs get no AWS permissions unless their worker names a role. runlater may only pass roles whose
 * name starts with `runlater-job-`, so an API token cannot hand a job any role of the account.
 */
const TaskRoleArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*runlater-job-[\w+=,.@-]{1,50}$/, {
    message: 'must be the ARN of an IAM role whose name starts with runlater-job-',
  })
  .meta({
    description: "AWS only: the IAM role the job's code runs with (its name must start with runlater-job-)",
  });

const PidsLimit = z
  .number()
  .int()
  .min(16)
  .max(32768)
  .meta({
    description: `Local mode: the most processes the job's container may run at once (default ${DEFAULT_PIDS_LIMIT})`,
  });
export const WebhookEvent = z.enum(['job.finished', 'job.started', 'attempt.ended']).meta({
  id: 'WebhookEvent',
  description:
    "job.finished: the job reached a final state; job.started: its first attempt's program started; attempt.ended: an attempt ended (retried or final)",
});
export type WebhookEvent = z.infer<typeof WebhookEvent>;

export const Notify = z
  .strictObject({
    url: z
      .url({ protocol: /^https?$/, hostname: z.regexes.hostname })
      .max(2048)
      .meta({
        description:
          "Where to POST the job as JSON, signed per Standard Webhooks with the worker's webhook secret. On AWS: https only, and no private, loopback or link-local address unless the stack allows it",
        example: 'https://example.com/hooks/runlater',
      }),
    events: z
      .array(WebhookEvent)
      .min(1)
      .max(3)
      .optional()
      .meta({ description: 'Which events to deliver (default: job.finished)' }),
  })
  .meta({ id: 'Notify' });
export type Notify = z.infer<typeof Notify>;

export const DeliveryAttempt = z
  .object({
    attempt: z.number().int(),
    at: z.iso.datetime(),
    responseCode: z
      .number()
      .int()
      .nullable()
      .meta({ description: "The receiver's HTTP status; null when none came" }),
    error: z.string().nullable().meta({ description: 'Why the attempt failed, when it did' }),
  })
  .meta({ id: 'DeliveryAttempt' });

export const Delivery = z
  .object({
    id: z.string().meta({ description: 'The webhook-id header: the same for every attempt of one delivery' }),
    event: WebhookEvent,
    url: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']),
    createdAt: z.iso.datetime(),
    nextAttemptAt: z.iso
      .datetime()
      .nullable()
      .meta({ description: 'When the next attempt is due, while pending' }),
    attempts: z.array(DeliveryAttempt),
  })
  .meta({ id: 'Delivery' });
export type Delivery = z.infer<typeof Delivery>;

/** Local secret names: safe as file names, and what `runlater secrets set NAME` takes. */
export const SECRET_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
export { AWS_SECRET_ARN };

export const SecretReference = z
  .string()
  .max(2048)
  .refine((r) => SECRET_NAME.test(r) || AWS_SECRET_ARN.test(r), {
    message:
      'must name a local secret (1-128 of A-Z a-z 0-9 _ . -) or, on AWS, be the ARN of a Secrets Manager secret or SSM parameter named under runlater/',
  })
  .meta({
    description:
      'Locally: the name of a secret set with `runlater secrets set NAME`. On AWS: the ARN of a Secrets Manager secret or SSM parameter whose name starts with runlater/',
    example: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:runlater/db-password-AbCdEf',
  });

export const WorkerSecrets = z
  .record(EnvName(), SecretReference)
  .refine((s) => Object.keys(s).length <= 50, { message: 'at most 50 secrets' })
  .meta({
    description:
      "Env variables whose values are secrets, {NAME: reference}: the value is put in the job's container at start and is never stored or shown by runlater",
    maxProperties: 50,
  });

const NoSecretEnvClash = (r: { env?: Record<string, string>; secrets?: Record<string, string> }) =>
  !Object.keys(r.secrets ?? {}).some((k) => Object.hasOwn(r.env ?? {}, k));

const WorkerFields = z.strictObject({
  name: WorkerName,
  image: Image,
  command: Command.optional(),
  env: WorkerEnv.optional(),
  cpu: Cpu.optional().meta({ description: 'Fargate CPU units (256 = 0.25 vCPU)' }),
  memory: z.number().int().min(512).max(122880).optional().meta({ description: 'Memory in MiB' }),
  timeoutSeconds: TimeoutSeconds.optional(),
  retry: RetryPolicy.optional(),
  taskRoleArn: TaskRoleArn.optional(),
  pidsLimit: PidsLimit.optional(),
  maxConcurrency: MaxConcurrency.optional(),
  priority: Priority.optional().meta({
    description: "Default priority of the worker's jobs (higher starts first when jobs wait); default 0",
  }),
  secrets: WorkerSecrets.optional(),
  registryCredentials: SecretReference.optional().meta({
    description:
      'Credentials for a private registry, as a secret holding {"username","password"} JSON (on AWS: a Secrets Manager ARN under runlater/, used as the task definition\'s repositoryCredentials). Locally, without it, pulls use ~/.docker/config.json',
  }),
  notify: Notify.optional().meta({
    description: "Webhook for this worker's jobs (a job's own notify wins)",
  }),
});

const NO_CLASH = { message: 'a name cannot be both in env and in secrets', path: ['secrets'] };

export const CreateWorkerRequest = WorkerFields.refine(NoSecretEnvClash, NO_CLASH).meta({
  id: 'CreateWorkerRequest',
  examples: [{ name: 'thumbnailer', image: 'busybox:1.36', command: ['sh', '-c', 'wc -c'], memory: 1024 }],
});
export type CreateWorkerRequest = z.infer<typeof CreateWorkerRequest>;

export const UpdateWorkerRequest = WorkerFields.omit({ name: true }).refine(NoSecretEnvClash, NO_CLASH).meta({
  id: 'UpdateWorkerRequest',
});
export type UpdateWorkerRequest = z.infer<typeof UpdateWorkerRequest>;

export const Worker = z
  .object({
    name: WorkerName,
    image: z.string(),
    command: z.array(z.string()).optional(),
    env: z.record(z.string(), z.string()),
    cpu: z.number().int(),
    memory: z.number().int(),
    timeoutSeconds: z.number().int(),
    retry: RetryPolicy,
    taskRoleArn: z.string().optional(),
    pidsLimit: z.number().int().optional(),
    notify: Notify.optional(),
    secrets: z
      .record(z.string(), z.string())
      .optional()
      .meta({ description: 'Names and references, never values' }),
    registryCredentials: z.string().optional(),
    maxConcurrency: z.number().int().optional(),
    priority: z.number().int().optional(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    revision: z.number().int().meta({ description: 'Incremented on every update' }),
  })
  .meta({ id: 'Worker' });
export type Worker = z.infer<typeof Worker>;

export const CreatedWorker = Worker.extend({
  webhookSecret: z.string().meta({
    description:
      "The secret its jobs' webhooks are signed with (whsec_...). Shown once: rotate it to get a new one",
  }),
}).meta({ id: 'CreatedWorker' });

export const WebhookSecret = z
  .object({ webhookSecret: CreatedWorker.shape.webhookSecret })
  .meta({ id: 'WebhookSecret' });

export const CreateJobRequest = z
  .strictObject({
    worker: WorkerName,
    stdin: z.string().optional().meta({ description: 'stdin as UTF-8 text' }),
    stdinBase64: z.base64().optional().meta({ description: 'stdin as base64 bytes (for binary input)' }),
    env: JobEnv.optional(),
    timeoutSeconds: TimeoutSeconds.optional(),
    retry: RetryPolicy.optional(),
    priority: Priority.optional().meta({
      description:
        "When jobs wait for the worker's concurrency limit, higher priority starts first (default: the worker's)",
    }),
    delaySeconds: z.number().int().min(0).max(LIMITS.maxDelaySeconds).optional(),
    runAt: z.iso
      .datetime({ offset: true })
      .optional()
      .meta({ description: 'When to start, at most 7 days ahead' }),
    notify: Notify.optional().meta({ description: "Webhook for this job (default: its worker's)" }),
    after: z.array(z.string().min(1).max(255)).min(1).max(LIMITS.maxDependencies).optional().meta({
      description:
        'Job ids to wait for: this job stays queued until all succeeded, and ends cancelled if one did not',
    }),
    stdinFrom: z.string().min(1).max(255).optional().meta({
      description:
        "A job id whose stdout (its final attempt's) becomes this job's stdin; implies waiting for it (after)",
    }),
    array: ArraySpec.optional(),
  })
  .refine((r) => !(r.array !== undefined && r.stdinFrom !== undefined), {
    message: 'an array splits its own stdin: give array or stdinFrom, not both',
    path: ['array'],
  })
  .refine((r) => !(r.stdinFrom !== undefined && (r.stdin !== undefined || r.stdinBase64 !== undefined)), {
    message: 'give stdin/stdinBase64 or stdinFrom, not both',
    path: ['stdinFrom'],
  })
  .refine((r) => !(r.stdin !== undefined && r.stdinBase64 !== undefined), {
    message: 'give stdin or stdinBase64, not both',
    path: ['stdinBase64'],
  })
  .refine((r) => !(r.delaySeconds !== undefined && r.runAt !== undefined), {
    message: 'give delaySeconds or runAt, not both',
    path: ['runAt'],
  })
  .meta({
    id: 'CreateJobRequest',
    examples: [{ worker: 'thumbnailer', stdin: 'hello', env: { MODE: 'fast' }, delaySeconds: 60 }],
  });
export type CreateJobRequest = z.infer<typeof CreateJobRequest>;

export const ScheduleJobTemplate = z
  .strictObject({
    stdin: CreateJobRequest.shape.stdin,
    stdinBase64: CreateJobRequest.shape.stdinBase64,
    env: CreateJobRequest.shape.env,
    timeoutSeconds: CreateJobRequest.shape.timeoutSeconds,
    retry: CreateJobRequest.shape.retry,
    priority: CreateJobRequest.shape.priority,
  })
  .refine((r) => !(r.stdin !== undefined && r.stdinBase64 !== undefined), {
    message: 'give stdin or stdinBase64, not both',
    path: ['stdinBase64'],
  })
  .meta({
    id: 'ScheduleJobTemplate',
    description: "What each run gets: a normal job of the schedule's worker",
  });

export const CreateScheduleRequest = z
  .strictObject({
    name: WorkerName.meta({ description: 'Unique name of the schedule' }),
    worker: WorkerName,
    expression: z
      .string()
      .max(256)
      .superRefine((text, ctx) => {
        const parsed = parseScheduleExpression(text);
        if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
      })
      .meta({
        description: 'EventBridge Scheduler syntax: rate(5 minutes) or cron(0 12 ? * MON-FRI *)',
        example: 'cron(0 6 * * ? *)',
      }),
    timezone: z
      .string()
      .max(64)
      .refine(isValidTimeZone, { message: 'is not an IANA time zone' })
      .default('UTC')
      .meta({ example: 'Europe/Berlin' }),
    job: ScheduleJobTemplate.optional(),
    paused: z.boolean().default(false),
  })
  .meta({
    id: 'CreateScheduleRequest',
    examples: [
      { name: 'nightly', worker: 'thumbnailer', expression: 'cron(0 6 * * ? *)', timezone: 'Europe/Berlin' },
    ],
  });
export type CreateScheduleRequest = z.infer<typeof CreateScheduleRequest>;

export const Schedule = z
  .object({
    name: z.string(),
    worker: z.string(),
    expression: z.string(),
    timezone: z.string(),
    job: z.record(z.string(), z.unknown()),
    state: z.enum(['enabled', 'paused']),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    nextRunAt: z.iso.datetime().nullable(),
    lastRunAt: z.iso.datetime().nullable(),
    lastJobId: z.string().nullable(),
    resumedAt: z.iso.datetime().nullable().optional().meta({
      description: 'When the schedule was last resumed: it never fires for a time before this',
    }),
  })
  .meta({ id: 'Schedule' });
export type Schedule = z.infer<typeof Schedule>;

export const JobStatusSchema = z.enum(JOB_STATUSES).meta({ id: 'JobStatus' });

export const Attempt = z
  .object({
    attempt: z.number().int(),
    taskId: z.string().nullable(),
    status: JobStatusSchema,
    exitCode: z.number().int().nullable(),
    startedAt: z.iso.datetime().nullable(),
    finishedAt: z.iso.datetime().nullable(),
    reason: z.string().nullable(),
    phases: z
      .object({
        dispatchedAt: z.iso.datetime().optional(),
        createdAt: z.iso.datetime().optional(),
        pullStartedAt: z.iso.datetime().optional(),
        pullStoppedAt: z.iso.datetime().optional(),
        startedAt: z.iso.datetime().optional(),
        stoppingAt: z.iso.datetime().optional(),
        stoppedAt: z.iso.datetime().optional(),
      })
      .optional()
      .meta({
        description:
          'When the attempt went through each phase, as far as its runner tells: dispatched (runlater asked for the task), created, image pull started/stopped, started, stopping, stopped',
      }),
  })
  .meta({ id: 'Attempt' });
export type Attempt = z.infer<typeof Attempt>;

export const Job = z
  .object({
    id: z.string(),
    worker: WorkerName,
    status: JobStatusSchema,
    attempt: z.number().int().meta({ description: 'Attempts started so far (1-based once started)' }),
    maxAttempts: z.number().int(),
    exitCode: z.number().int().nullable(),
    error: z.string().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    runAt: z.iso.datetime(),
    startedAt: z.iso.datetime().nullable(),
    finishedAt: z.iso.datetime().nullable(),
    timeoutSeconds: z.number().int(),
    priority: z
      .number()
      .int()
      .meta({ description: 'Higher starts first when jobs wait for a concurrency slot' }),
    env: z.record(z.string(), z.string()),
    stdinBytes: z.number().int(),
    cancelRequested: z.boolean(),
    waitingReason: z.string().nullable().meta({
      description:
        "Why the job is not running yet: a delay, a retry and its cause, the worker's concurrency limit (`waiting: concurrency ...`), or a task the infrastructure cannot start now; null otherwise",
    }),
    attempts: z.array(Attempt),
    notify: Notify.optional().meta({ description: 'Where its webhooks go, if anywhere' }),
    after: z.array(z.string()).optional().meta({ description: 'The jobs it waits for' }),
    stdinFrom: z.string().optional().meta({ description: 'The job whose stdout is its stdin' }),
    rerunOf: z.string().optional().meta({ description: 'The job this one re-runs' }),
    array: ArrayView.optional().meta({ description: 'Set on the parent of an array' }),
    parent: z.string().optional().meta({ description: "A child's array parent" }),
    arrayIndex: z.number().int().optional().meta({ description: "A child's index in its array (0-based)" }),
    reruns: z
      .array(z.string())
      .optional()
      .meta({ description: 'Jobs that re-run this one, oldest first (the last 100)' }),
  })
  .meta({ id: 'Job' });
export type Job = z.infer<typeof Job>;

export const RerunJobRequest = z
  .strictObject({
    env: JobEnv.optional().meta({
      description: "Variables to set over the original job's env (the others are kept)",
    }),
    timeoutSeconds: TimeoutSeconds.optional(),
    retry: RetryPolicy.optional(),
    delaySeconds: CreateJobRequest.shape.delaySeconds,
    runAt: CreateJobRequest.shape.runAt,
  })
  .refine((r) => !(r.delaySeconds !== undefined && r.runAt !== undefined), {
    message: 'give delaySeconds or runAt, not both',
    path: ['runAt'],
  })
  .meta({
    id: 'RerunJobRequest',
    description: "Overrides for the new job; anything not given is the original job's",
    examples: [{ env: { MODE: 'verbose' } }],
  });
export type RerunJobRequest = z.infer<typeof RerunJobRequest>;

const FinalStatus = z.enum(['succeeded', 'failed', 'timed_out', 'cancelled']);

export const PurgeJobsRequest = z
  .strictObject({
    worker: WorkerName.optional().meta({ description: "Only this worker's jobs" }),
    status: FinalStatus.optional().meta({
      description: 'Only jobs that ended so (default: any final status)',
    }),
    olderThanSeconds: z
      .number()
      .int()
      .min(0)
      .max(10 * 365 * 86400)
      .default(0)
      .meta({ description: 'Only jobs that finished at least this long ago' }),
    limit: z
      .number()
      .int()
      .min(1)
      .max(LIMITS.purgeLimitMax)
      .default(LIMITS.purgeLimitMax)
      .meta({ description: 'Delete at most this many jobs in this call' }),
  })
  .meta({
    id: 'PurgeJobsRequest',
    examples: [{ worker: 'thumbnailer', status: 'succeeded', olderThanSeconds: 86400 }],
  });
export type PurgeJobsRequest = z.infer<typeof PurgeJobsRequest>;

export const PurgeResult = z
  .object({
    deleted: z.number().int().meta({ description: 'Jobs deleted by this call' }),
    more: z.boolean().meta({ description: 'true when more jobs may match: call again' }),
  })
  .meta({ id: 'PurgeResult' });
export type PurgeResult = z.infer<typeof PurgeResult>;
const FinishedCounts = z
  .object({
    succeeded: z.number().int(),
    failed: z.number().int(),
    timed_out: z.number().int(),
    cancelled: z.number().int(),
  })
  .meta({ id: 'FinishedCounts', description: 'Jobs that reached each final state in the period' });

export const WorkerStats = z
  .object({
    worker: WorkerName,
    maxConcurrency: z.number().int().nullable().meta({ description: 'The limit; null: none' }),
    queued: z
      .number()
      .int()
      .meta({ description: 'Jobs queued, whatever they wait for (a delay, a retry, a slot)' }),
    waitingOnConcurrency: z
      .number()
      .int()
      .meta({ description: 'Of the queued jobs, those due but held back by maxConcurrency' }),
    starting: z.number().int(),
    running: z.number().int(),
    slotsInUse: z
      .number()
      .int()
      .meta({ description: 'Concurrency slots held by attempts starting or running' }),
    finished: z.object({ lastHour: FinishedCounts, lastDay: FinishedCounts }),
    at: z.iso.datetime().meta({ description: 'When the counts were read' }),
  })
  .meta({ id: 'WorkerStats' });
export type WorkerStats = z.infer<typeof WorkerStats>;

export const ListJobsQuery = z.strictObject({
  worker: WorkerName.optional(),
  parent: z.string().min(1).max(255).optional().meta({
    description: "An array parent's id: lists its children by index (worker cannot be given with it)",
  }),
  status: JobStatusSchema.optional(),
  limit: z.coerce.number().int().min(1).max(LIMITS.listLimitMax).default(LIMITS.listLimitDefault),
  cursor: z.string().max(2048).optional(),
});
export type ListJobsQuery = z.infer<typeof ListJobsQuery>;

export const LogStream = z.enum(['stdout', 'stderr', 'all']);

export const LogsQuery = z.strictObject({
  stream: LogStream.default('all'),
  attempt: z.coerce
    .number()
    .int()
    .min(1)
    .max(10)
    .optional()
    .meta({ description: 'Default: the latest attempt' }),
  cursor: z.string().max(4096).optional(),
  limit: z.coerce.number().int().min(1).max(LIMITS.logLimitMax).default(LIMITS.logLimitDefault),
});
export type LogsQuery = z.infer<typeof LogsQuery>;

export const LogLine = z
  .object({
    stream: z.enum(['stdout', 'stderr']),
    timestamp: z.iso.datetime(),
    text: z.string().optional().meta({ description: 'The line as UTF-8, without its newline' }),
    base64: z.string().optional().meta({ description: 'The line as base64, when it is not valid UTF-8' }),
    partial: z.boolean().optional().meta({
      description: 'true when the line did not end in a newline (a long line cut, or the last bytes)',
    }),
  })
  .meta({ id: 'LogLine' });
export type LogLine = z.infer<typeof LogLine>;

export const LogsPage = z
  .object({
    jobId: z.string(),
    attempt: z.number().int(),
    lines: z.array(LogLine),
    nextCursor: z.string().meta({ description: 'Pass back as cursor to continue (follow) from here' }),
    complete: z.boolean().meta({ description: 'true once the attempt has ended and every line was read' }),
  })
  .meta({ id: 'LogsPage' });
export type LogsPage = z.infer<typeof LogsPage>;

export const CreateTokenRequest = z
  .strictObject({
    name: z
      .string()
      .min(1)
      .max(100)
      .regex(/^[^\p{Cc}]+$/u, 'must not contain control characters (NUL, CR, LF, tab, ...)')
      .meta({ description: 'What the token is for', example: 'ci' }),
    scopes: z
      .array(z.enum(['admin', 'jobs']))
      .min(1)
      .max(2)
      .meta({
        description: '`admin` manages workers and tokens; `jobs` queues and reads jobs and schedules',
      }),
  })
  .meta({ id: 'CreateTokenRequest', examples: [{ name: 'ci', scopes: ['jobs'] }] });
export type CreateTokenRequest = z.infer<typeof CreateTokenRequest>;

export const TokenInfo = z
  .object({
    id: z.string().meta({ description: 'The start of the token hash: names the token, is not the token' }),
    name: z.string(),
    scopes: z.array(z.enum(['admin', 'jobs'])),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'TokenInfo' });
export type TokenInfo = z.infer<typeof TokenInfo>;

export const CreatedToken = TokenInfo.extend({
  token: z.string().meta({ description: 'The bearer token. Shown once: only its hash is kept' }),
}).meta({ id: 'CreatedToken' });

export const SecretNameParams = z.object({
  name: z
    .string()
    .regex(SECRET_NAME, 'must be 1-128 of A-Z a-z 0-9 _ . - starting with a letter or digit')
    .meta({ description: 'Name of the secret, as workers reference it', example: 'db-password' }),
});

export const SetSecretRequest = z
  .strictObject({
    value: z
      .string()
      .min(1)
      .max(65536)
      .refine((v) => !v.includes('\0'), { message: 'a secret reaches the job as env: it cannot contain NUL' })
      .meta({
        description: 'The secret value: kept, put in the env of jobs that name it, never shown again',
      }),
  })
  .meta({ id: 'SetSecretRequest' });

export const SecretInfo = z
  .object({ name: z.string(), updatedAt: z.iso.datetime() })
  .meta({ id: 'SecretInfo', description: 'A kept secret: its name, never its value' });

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      field: z.string().optional(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .meta({ id: 'Error' });

/** Parses `input` with `schema`, or throws a ValidationError that names the first bad field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, where = 'body'): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  let path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys;
    path = [path, keys[0]].filter(Boolean).join('.');
    throw new ValidationError(
      `${where}: unknown field ${keys.map((k) => `"${k}"`).join(', ')}`,
      path || undefined,
    );
  }
  const name = path ? `${where}.${path}` : where;
  // A record key's own issue says what is wrong with it; zod's outer one only "Invalid key".
  const message = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
  throw new ValidationError(`${name}: ${message}`, path || undefined);
}
