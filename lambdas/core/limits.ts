/**
 * Limits of the public API, chosen to fit AWS's: a request body must pass API Gateway and a
 * synchronous Lambda invocation (6 MB), so stdin is capped at 4 MiB of bytes (5.6 MB as base64).
 * A job's env travels in the RunTask override, which ECS caps at 8192 characters in all.
 */
export const LIMITS = {
  stdinBytes: 4 * 1024 * 1024,
  requestBodyBytes: 6 * 1024 * 1024,
  /** stdin up to this size travels inline with the task; larger stdin goes through the blob store. */
  inlineStdinBytes: 3 * 1024,
  jobEnvChars: 4096,
  /** Each variable costs ~24 more characters of JSON in the override: 50 keeps the worst case inside 8192. */
  jobEnvVars: 50,
  /**
   * The job env as ECS gets it (JSON `[{"name","value"}]`, quotes and backslashes escaped). Any env
   * within the two limits above and free of escapes takes at most 5,247; the rest of the 8192 is
   * the stdin URL (presigned, with the Lambda's session token) and the RUNLATER_* variables.
   */
  jobEnvJsonChars: 5300,
  workerEnvChars: 32 * 1024,
  workerEnvVars: 100,
  maxDelaySeconds: 7 * 24 * 3600,
  maxTimeoutSeconds: 7 * 24 * 3600,
  defaultTimeoutSeconds: 3600,
  listLimitDefault: 50,
  listLimitMax: 200,
  logLimitDefault: 1000,
  logLimitMax: 10000,
  /** Jobs one job may wait for (`after`): each is read before its first attempt. */
  maxDependencies: 20,
  /**
   * Jobs one purge call deletes at most: each costs a few deletes (item, stdin, an output stream
   * per attempt; CloudWatch allows DeleteLogStream at ~15 a second), and the call must end well
   * within API Gateway's 30 s.
   */
  purgeLimitMax: 100,
  /** A worker's maxConcurrency: its slots are one DynamoDB item (400 KB), which 1000 holders fit with room. */
  maxConcurrency: 1000,
  /** Priorities run from -maxPriority to maxPriority; the bound keeps the index's sort key fixed-width. */
  maxPriority: 1000,
  /**
   * A long-poll of `GET /v1/jobs/{id}?waitSeconds=N` holds the request at most this long: well
   * inside API Gateway's 30 s integration timeout and the API function's own 30 s.
   */
  jobWaitSecondsMax: 20,
  /**
   * Children of one array (as AWS Batch). The API writes only the parent; the dispatcher makes the
   * children in chunks, so the number is bounded by what a listing and a count may read, not by
   * API Gateway's 30 s.
   */
  maxArraySize: 10_000,
} as const;

export const DEFAULT_CPU = 256;
export const DEFAULT_MEMORY = 512;
/** Processes a job's container may run at once unless its worker says otherwise: stops a fork bomb, not a build. */
export const DEFAULT_PIDS_LIMIT = 512;
