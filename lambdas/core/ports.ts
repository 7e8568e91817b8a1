import type { ChildCounts } from './arrays.ts';
import type { FinalStatus, JobStatus } from './jobStatus.ts';
import type { Delivery, Job, LogLine, Schedule, Worker } from './schemas.ts';
import type { RetryPolicy } from './schemas.ts';
import type { SendResult } from './webhooks.ts';

/**
 * The ports of the domain core: what it needs from the outside world, and nothing about how.
 * Adapters implement them for AWS (DynamoDB, SQS, ECS, S3, CloudWatch Logs) and for one machine
 * (dynalite, a local queue, Docker, files).
 */

/**
 * Where a job's stdin lives: inline (small, base64) or as a key in the stdin blob store. `sha256`
 * (hex) lets the task refuse bytes that are not the job's; jobs stored before it have none.
 */
export type StdinRef = { bytes: number; sha256?: string } & ({ inlineBase64: string } | { blobKey: string });

/** The job as stored: the public fields plus what only the engine needs. */
export interface StoredJob extends Job {
  stdin: StdinRef;
  retry: RetryPolicy;
  /** The task of the current attempt, once launched. */
  taskId: string | null;
  idempotencyKey?: string;
  /** Hash of the request an idempotency key was first used with. */
  requestHash?: string;
  /** Its webhook deliveries (core/webhooks.ts), recorded with the transition that raised them. */
  deliveries?: Delivery[];
  /** Set while a delivery is pending: the sparse index the reconciler finds them by. */
  deliveryDue?: 'pending';
  /** Jobs that wait for this one (`after`): woken when it ends. */
  dependents?: string[];
  /** Its stdin was filled in from `stdinFrom` (done once, before its first attempt). */
  stdinReady?: boolean;
  /**
   * Set while a `queued` job is held back by its worker's concurrency limit: such jobs are read
   * in start order (JobStore.waiting). Every write that sets `status` also sets this.
   */
  heldBack?: 'concurrency' | null;
  /**
   * The transition that wrote this record last, with an id of its own: on AWS the job table's
   * stream turns each new one into a "Job State Change" event (adapters/dynamodb/jobStream.ts), so
   * an event is never lost to a crash after the write. Other writes (a delivery's result) keep it.
   */
  lastTransition?: { name: JobTransition; from: JobStatus; id: string };
  /** An array parent's: its size, how it splits stdin, and how many children are made (ArrayFanOut). */
  array?: { size: number; split?: 'lines'; created: number };
  /** An array child's: the size of its array (RUNLATER_ARRAY_SIZE). */
  arraySize?: number;
}

/** A worker as stored: with the secret its jobs' webhooks are signed with (never shown by reads). */
export type StoredWorker = Worker & { webhookSecret?: string };

export interface WorkerStore {
  /** Throws ConflictError when a worker of that name exists. */
  create(worker: StoredWorker): Promise<void>;
  get(name: string): Promise<StoredWorker | undefined>;
  list(): Promise<StoredWorker[]>;
  /** Replaces the worker if its stored revision is `expectedRevision`; throws ConflictError otherwise. */
  replace(worker: StoredWorker, expectedRevision: number): Promise<void>;
  /** Returns false when there was no such worker. */
  delete(name: string): Promise<boolean>;
}

export interface JobQuery {
  worker?: string;
  status?: JobStatus;
  limit: number;
  cursor?: string;
  /** Only jobs with a pending webhook delivery (oldest first is not promised). */
  deliveryDue?: boolean;
  /** Oldest first instead of newest first (the reconciler looks at the longest stuck first). */
  oldestFirst?: boolean;
}

export interface ChildQuery {
  status?: JobStatus;
  limit: number;
  cursor?: string;
  /** How many children the parent has made (its `array.created`). */
  created: number;
}

/** What a transition requires of the stored job for it to apply. */
export interface JobCondition {
  status: readonly JobStatus[];
  attempt?: number;
  /** `null` requires that no task is recorded yet. */
  taskId?: string | null;
  /** The job was last written at this time (optimistic locking for writes beside the transitions). */
  updatedAt?: string;
}

/**
 * Added to the job's lists in the same write, onto whatever they hold then (not onto the caller's
 * possibly older copy): a transition made from a job read a moment ago must not drop a delivery
 * recorded meanwhile.
 */
export interface JobAppend {
  /** New pending webhook deliveries; the job is marked `deliveryDue` with them. */
  deliveries?: Delivery[];
  /** Jobs that now wait for this one. */
  dependents?: string[];
}

export interface IdempotencyClaim {
  jobId: string;
  requestHash: string;
}

export interface JobStore {
  /** Throws ConflictError when the id exists. */
  create(job: StoredJob): Promise<void>;
  /**
   * Deletes the job only if its stored status is one of `statuses`. Throws TransitionConflictError
   * carrying the current job otherwise (NotFoundError if there is none).
   */
  remove(id: string, statuses: readonly JobStatus[]): Promise<void>;
  get(id: string): Promise<StoredJob | undefined>;
  /** Newest first unless `oldestFirst`. `cursor` is opaque and comes from the previous page. */
  list(query: JobQuery): Promise<{ jobs: StoredJob[]; nextCursor?: string }>;
  /**
   * One atomic, conditional write: applies `patch` only if the stored job meets `condition`, and
   * returns the job as written. Throws TransitionConflictError carrying the current job otherwise
   * (NotFoundError if there is none).
   */
  update(
    id: string,
    condition: JobCondition,
    patch: Partial<StoredJob>,
    append?: JobAppend,
  ): Promise<StoredJob>;
  /**
   * Claims an idempotency key for a job about to be created. Returns undefined when this call
   * claimed it, or the earlier claim (its job id and request hash) when the key was taken.
   */
  claimIdempotencyKey(key: string, claim: IdempotencyClaim): Promise<IdempotencyClaim | undefined>;
  /**
   * An array parent's children by index, at most `limit` from `cursor`: with `status`, those in
   * that state (from an index, which may lag a moment on DynamoDB); without, every child made
   * (indexes below `created`). A page may be short (a child deleted); go on while `nextCursor`.
   */
  children(parent: string, query: ChildQuery): Promise<{ jobs: StoredJob[]; nextCursor?: string }>;
  /** How many of the parent's children are in each state; read from an index, never a scan. */
  countChildren(parent: string): Promise<ChildCounts>;
  /**
   * The worker's jobs held back by its concurrency limit, in the order they should start: highest
   * priority first, oldest (created first) within a priority. At most `limit`.
   */
  waiting(worker: string, limit: number): Promise<StoredJob[]>;
  /**
   * How many of the worker's jobs are queued (held-back ones included, and also counted apart as
   * `heldBack`), starting and running; read from an index, never a scan.
   */
  countActive(worker: string): Promise<Record<'queued' | 'heldBack' | 'starting' | 'running', number>>;
  /** How many of the worker's jobs reached each final state at or after `since`. */
  countFinished(worker: string, since: Date): Promise<Record<FinalStatus, number>>;
}

/**
 * A worker's concurrency slots: at most `limit` holders at once, each one attempt of a job
 * (`<jobId>#<attempt>`). Acquiring is one conditional write, so many dispatchers at once cannot
 * hand out more slots than the limit; a holder's slot is given back when its attempt ends (and,
 * should that be missed in a crash, by the reconciler, which finds the attempt no longer active).
 */
export interface ConcurrencySlots {
  /** Takes a slot for `holder` if fewer than `limit` are held; true if it holds one (already held: true). */
  acquire(worker: string, holder: string, limit: number, at: Date): Promise<boolean>;
  /** Gives the holder's slot back; a holder with none is ignored. */
  release(worker: string, holder: string): Promise<void>;
  /** Who holds the worker's slots, and since when. */
  holders(worker: string): Promise<{ holder: string; since: string }[]>;
}

/** The message that asks the dispatcher to start one attempt of a job. */
export interface DispatchMessage {
  jobId: string;
  attempt: number;
  /** For an array parent: a child ended, so only see whether the parent is done (ArrayFanOut). */
  settle?: true;
}

export interface DispatchQueue {
  /** Delivers `message` to the dispatcher no earlier than `delaySeconds` from now (at least once). */
  send(message: DispatchMessage, delaySeconds: number): Promise<void>;
}

/** The message that asks the delivery function to attempt one webhook delivery of a job. */
export interface DeliveryMessage {
  jobId: string;
  deliveryId: string;
}

export interface DeliveryQueue {
  /** Delivers `message` no earlier than `delaySeconds` from now (at least once; at most 900 s). */
  send(message: DeliveryMessage, delaySeconds: number): Promise<void>;
}

/** A signed webhook request, ready to send. */
export interface WebhookRequest {
  url: string;
  /** The webhook-id. */
  id: string;
  timestamp: Date;
  /** The JSON body. */
  payload: string;
  /** The signing secret (whsec_...). */
  secret: string;
}

export interface WebhookSender {
  /** POSTs once, signed; reports the receiver's status or why none came. Never throws. */
  send(request: WebhookRequest): Promise<SendResult>;
}

export interface StdinStore {
  /** Stores the bytes and returns the key to find them by. */
  put(jobId: string, bytes: Uint8Array): Promise<string>;
  /**
   * Copies the bytes under `fromKey` for another job and returns their new key (a re-run keeps
   * its own copy, so deleting either job leaves the other whole). Throws GoneError when the
   * bytes are gone (removed by retention).
   */
  copy(fromKey: string, toJobId: string): Promise<string>;
  /** A URL the shim can fetch the bytes from (https, http or file). */
  url(key: string): Promise<string>;
  /** The bytes under `key` (an array's fan-out reads its parent's stdin to cut it into lines). */
  read(key: string): Promise<Uint8Array>;
  delete(key: string): Promise<void>;
}

/** Everything needed to start one attempt of a job as a container task. */
export interface TaskSpec {
  /** Idempotency token: launching twice with the same token starts one task. */
  clientToken: string;
  jobId: string;
  attempt: number;
  worker: Worker;
  /** The job's env plus RUNLATER_* variables; on top of the worker's env. */
  env: Record<string, string>;
  stdin: StdinRef;
  timeoutSeconds: number;
}

export interface TaskLauncher {
  /**
   * Starts the task (idempotent per clientToken) and returns its id. Throws RetryLaterError when
   * the infrastructure cannot start it now (throttling, capacity): the job is not at fault.
   */
  launch(spec: TaskSpec): Promise<{ taskId: string }>;
  /** Asks the task to stop (SIGTERM, then SIGKILL after a grace period). Unknown tasks are ignored. */
  stop(taskId: string, reason: string): Promise<void>;
  /**
   * What the task is doing now, as its launcher knows it; undefined when the task is gone without
   * a trace. The reconciler uses it to settle jobs whose task events were missed.
   */
  describe(taskId: string): Promise<TaskDescription | undefined>;
}

/**
 * Why a task stopped, in runlater's own words (each runner's adapter maps its own events to one):
 * - `exited`: the job's program ran and exited by itself (see the exit code);
 * - `start-failed`: the task could not start for a reason of the job's own (no such image, a
 *   container config the runner refuses): waiting will not help, so it is not retried;
 * - `stopped-by-request`: runlater stopped it (cancel, timeout; the reason says which);
 * - `out-of-memory`: the program was killed for using more memory than the job may;
 * - `infrastructure`: the program never started, for a reason that may pass (a pull that timed
 *   out, no capacity): retried on its own path, without using up the job's attempts;
 * - `lost`: the task is gone, or stopped with no exit code, and may have run (a host that went
 *   away): not retried, since running a job twice by mistake is worse than failing it.
 */
export const TaskStopCause = {
  Exited: 'exited',
  StartFailed: 'start-failed',
  StoppedByRequest: 'stopped-by-request',
  OutOfMemory: 'out-of-memory',
  Infrastructure: 'infrastructure',
  Lost: 'lost',
} as const;
export type TaskStopCause = (typeof TaskStopCause)[keyof typeof TaskStopCause];

/** When a task went through each phase of its start and stop, as far as its runner tells. */
export interface TaskPhases {
  /** The runner accepted the task (ECS: created; Docker: container created). */
  createdAt?: Date;
  pullStartedAt?: Date;
  pullStoppedAt?: Date;
  /** The job's program started. */
  startedAt?: Date;
  stoppingAt?: Date;
  stoppedAt?: Date;
}

/** What a task is doing now, as its launcher knows it (for the reconciler). */
export interface TaskDescription {
  state: 'pending' | 'running' | 'stopped';
  /** Exit code of the job's program, when it ran and exited. */
  exitCode?: number | null;
  /** Why it stopped; set when `state` is `stopped`. */
  cause?: TaskStopCause;
  /** Why, in words (the runner's own, or runlater's stop reason). */
  reason?: string;
  phases?: TaskPhases;
}

/**
 * What a task reports about itself, backend-neutral: each runner's adapter produces it from its
 * own events (ECS "Task State Change" on AWS, the Docker runner's own knowledge locally).
 */
export interface TaskUpdate {
  taskId: string;
  jobId: string;
  attempt: number;
  state: 'running' | 'stopped';
  /** When this state was reached (for `stopped`: when the task stopped). */
  at: Date;
  /** Exit code of the job's program, when it ran and exited. */
  exitCode?: number | null;
  /** Why it stopped; set for `stopped` (missing is read as `lost`). */
  cause?: TaskStopCause;
  /** A human reason, e.g. Docker's or ECS's error text, or runlater's stop reason. */
  reason?: string;
  phases?: TaskPhases;
}

/** The named transitions of a job; JobStateMachine documents each one's precondition. */
export type JobTransition =
  | 'create'
  | 'startAttempt'
  | 'recordTask'
  | 'noteWaiting'
  | 'holdBack'
  | 'markRunning'
  | 'requeue'
  | 'requestCancel'
  | 'finish'
  | 'linkRerun'
  | 'remove'
  | 'startArray'
  | 'advanceArray';

export interface JobTransitionEvent {
  transition: JobTransition;
  /** The status before the transition (`queued` for create). */
  from: JobStatus;
  /** The job as written. */
  job: StoredJob;
}

/**
 * Hears every transition once it is written. `onFinished` is the one place a job ends, whatever
 * the final state and whoever ended it. Called after the write, never inside it: an observer that
 * must not miss an event (webhooks) keeps its own outbox; errors are reported, never thrown back
 * into the transition.
 */
export interface JobObserver {
  onTransition?(event: JobTransitionEvent): Promise<void> | void;
  /**
   * An attempt that was started ended, however it ended: its task stopped (retried or final),
   * its launch failed. Where a per-attempt resource (a concurrency slot) is given back.
   */
  onAttemptEnded?(job: StoredJob): Promise<void> | void;
  onFinished?(job: StoredJob): Promise<void> | void;
}

/** Where job state changes are published for others to route (on AWS: an EventBridge bus). */
export interface JobEventPublisher {
  /**
   * Publishes the events in order; answers how many of them, from the first, were taken. The
   * rest were not, and are to be published again (a consumer may see one twice, never none).
   */
  publish(events: readonly JobTransitionEvent[]): Promise<number>;
}

export interface LogQuery {
  jobId: string;
  attempt: number;
  taskId: string;
  stream: 'stdout' | 'stderr' | 'all';
  cursor?: string;
  limit: number;
}

export interface LogReader {
  /** Lines in order, and the cursor to continue from (following: call again with it). */
  read(query: LogQuery): Promise<{ lines: LogLine[]; nextCursor: string }>;
  /** Deletes the output of one finished attempt's task; output already gone is no error. */
  deleteOutput(task: { jobId: string; attempt: number; taskId: string }): Promise<void>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export interface ScheduleStore {
  /** Throws ConflictError when a schedule of that name exists. */
  create(schedule: Schedule): Promise<void>;
  get(name: string): Promise<Schedule | undefined>;
  list(): Promise<Schedule[]>;
  put(schedule: Schedule): Promise<void>;
  /** Returns false when there was no such schedule. */
  delete(name: string): Promise<boolean>;
}

/** The infrastructure that fires schedules: EventBridge Scheduler on AWS, a timer locally. */
export interface ScheduleTrigger {
  /** Makes it fire per the schedule's expression and time zone, or not at all while paused. */
  apply(schedule: Schedule): Promise<void>;
  remove(name: string): Promise<void>;
}

/** A kept secret as listed: never its value. */
export interface SecretInfo {
  name: string;
  updatedAt: string;
}

/**
 * Secrets kept by runlater itself (on one machine; on AWS they live in Secrets Manager or SSM
 * Parameter Store and the task definition names them). Values go in and to the job's container,
 * never back out through the API.
 */
export interface SecretStore {
  set(name: string, value: string): Promise<void>;
  list(): Promise<SecretInfo[]>;
  /** Returns false when there was no such secret. */
  delete(name: string): Promise<boolean>;
}

/**
 * Tells a waiter (a long-poll of `GET /v1/jobs/{id}?waitSeconds=N`) when to read a job again. On
 * AWS nothing can tell the API function that a job changed, so it polls with a backoff
 * (`PollingJobWatcher`); `runlater dev` wakes the waiter when the job's state changes
 * (`NotifiedJobWatcher`). The waiter reads the store either way: a wake-up is a hint, never data.
 */
export interface JobWatcher {
  /** Starts watching one job: call it before the first read, so no change after that read is missed. */
  watch(jobId: string): JobWatch;
}

export interface JobWatch {
  /** Resolves when the job may have changed, or at `deadline` (ms since the epoch), whichever is first. */
  next(deadline: number): Promise<void>;
  close(): void;
}
