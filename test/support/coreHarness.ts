import { DynamoConcurrencySlots } from '../../lambdas/adapters/dynamodb/DynamoConcurrencySlots.ts';
import { DynamoJobStore } from '../../lambdas/adapters/dynamodb/DynamoJobStore.ts';
import { DynamoWorkerStore } from '../../lambdas/adapters/dynamodb/DynamoWorkerStore.ts';
import { GoneError, RetryLaterError } from '../../lambdas/core/errors.ts';
import type {
  Clock,
  DispatchMessage,
  DispatchQueue,
  LogReader,
  StdinStore,
  TaskDescription,
  TaskLauncher,
  TaskSpec,
} from '../../lambdas/core/ports.ts';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../local/embeddedDynamo.ts';

/** A launcher that records what it is asked, for testing the core's rules (real Docker is tested elsewhere). */
export class RecordingLauncher implements TaskLauncher {
  launches: TaskSpec[] = [];
  stops: { taskId: string; reason: string }[] = [];
  /** Errors to throw from the next launches, in order. */
  failNext: Error[] = [];

  async launch(spec: TaskSpec): Promise<{ taskId: string }> {
    const err = this.failNext.shift();
    if (err) throw err;
    this.launches.push(spec);
    return { taskId: `task-${spec.clientToken}` };
  }

  async stop(taskId: string, reason: string): Promise<void> {
    this.stops.push({ taskId, reason });
  }

  /** What describe() answers per task id; a task not in the map is gone. */
  tasks = new Map<string, TaskDescription>();
  async describe(taskId: string): Promise<TaskDescription | undefined> {
    return this.tasks.get(taskId);
  }
}

export class RecordingQueue implements DispatchQueue {
  sent: { message: DispatchMessage; delaySeconds: number }[] = [];
  async send(message: DispatchMessage, delaySeconds: number): Promise<void> {
    this.sent.push({ message, delaySeconds });
  }
}

export class MemoryStdinStore implements StdinStore {
  blobs = new Map<string, Uint8Array>();
  async put(jobId: string, bytes: Uint8Array) {
    this.blobs.set(jobId, bytes);
    return jobId;
  }
  async copy(fromKey: string, toJobId: string) {
    const bytes = this.blobs.get(fromKey);
    if (!bytes) throw new GoneError(`no stdin under ${fromKey}`);
    this.blobs.set(toJobId, bytes);
    return toJobId;
  }
  async url(key: string) {
    return `memory://${key}`;
  }
  async read(key: string) {
    const bytes = this.blobs.get(key);
    if (!bytes) throw new GoneError(`no stdin under ${key}`);
    return bytes;
  }
  async delete(key: string) {
    this.blobs.delete(key);
  }
}

export class ManualClock implements Clock {
  constructor(public current = new Date('2026-11-22T12:00:00Z')) {}
  now() {
    return new Date(this.current);
  }
  advance(seconds: number) {
    this.current = new Date(this.current.getTime() + seconds * 1000);
  }
}

export const throttled = () => new RetryLaterError('Rate exceeded', 'throttled');

/** The core on dynalite (in memory), with recording stand-ins for the queue and the launcher. */
export async function coreHarness() {
  const dynamo: EmbeddedDynamo = await startEmbeddedDynamo(undefined);
  const jobs = new DynamoJobStore(dynamo.doc, dynamo.tableNames.jobs);
  const workers = new DynamoWorkerStore(dynamo.doc, dynamo.tableNames.workers);
  return {
    dynamo,
    jobs,
    workers,
    slots: new DynamoConcurrencySlots(dynamo.doc, dynamo.tableNames.jobs),
    queue: new RecordingQueue(),
    launcher: new RecordingLauncher(),
    stdin: new MemoryStdinStore(),
    /** No job here writes output; tests that read some give their own reader. */
    logs: { read: async () => ({ lines: [], nextCursor: '' }), deleteOutput: async () => {} } as LogReader,
    clock: new ManualClock(),
    close: () => dynamo.close(),
  };
}
