import { ConflictError, NotFoundError, PayloadTooLargeError, ValidationError } from './errors.ts';
import type { JobService } from './JobService.ts';
import type { Clock, ScheduleStore, ScheduleTrigger, WorkerStore } from './ports.ts';
import { nextFireTime, parseScheduleExpression, type ScheduleExpression } from './scheduleExpression.ts';
import { CreateJobRequest, parseInput, type CreateScheduleRequest, type Schedule } from './schemas.ts';

/** A schedule keeps its job template in one item: its stdin must stay well inside DynamoDB's 400 KB. */
export const SCHEDULE_STDIN_LIMIT = 64 * 1024;

/** Recurring schedules: each firing queues a normal job, exactly once per scheduled time. */
export class ScheduleService {
  constructor(
    private readonly deps: {
      schedules: ScheduleStore;
      workers: WorkerStore;
      trigger: ScheduleTrigger;
      jobs: JobService;
      clock: Clock;
    },
  ) {}

  async create(input: CreateScheduleRequest): Promise<Schedule> {
    const { schedules, workers, trigger, clock } = this.deps;
    if (!(await workers.get(input.worker)))
      throw new ValidationError(`worker "${input.worker}" does not exist`, 'worker');
    const job = input.job ?? {};
    const stdinBytes =
      job.stdinBase64 !== undefined
        ? Buffer.from(job.stdinBase64, 'base64').length
        : Buffer.byteLength(job.stdin ?? '');
    if (stdinBytes > SCHEDULE_STDIN_LIMIT)
      throw new PayloadTooLargeError(`a schedule's stdin is limited to ${SCHEDULE_STDIN_LIMIT} bytes`);
    if (await schedules.get(input.name)) throw new ConflictError(`schedule "${input.name}" already exists`);
    const now = clock.now().toISOString();
    const schedule: Schedule = {
      name: input.name,
      worker: input.worker,
      expression: input.expression,
      timezone: input.timezone,
      job,
      state: input.paused ? 'paused' : 'enabled',
      createdAt: now,
      updatedAt: now,
      nextRunAt: null,
      lastRunAt: null,
      lastJobId: null,
    };
    schedule.nextRunAt = this.next(schedule);
    // The trigger first: if it fails nothing was stored; a trigger with no schedule fires into nothing.
    await trigger.apply(schedule);
    await schedules.create(schedule);
    return schedule;
  }

  list(): Promise<Schedule[]> {
    return this.deps.schedules.list();
  }

  async get(name: string): Promise<Schedule> {
    const schedule = await this.deps.schedules.get(name);
    if (!schedule) throw new NotFoundError(`schedule "${name}" does not exist`);
    return schedule;
  }

  async setPaused(name: string, paused: boolean): Promise<Schedule> {
    const current = await this.get(name);
    const now = this.deps.clock.now().toISOString();
    const resumed = !paused && current.state === 'paused';
    const schedule: Schedule = {
      ...current,
      state: paused ? 'paused' : 'enabled',
      updatedAt: now,
      // Times before a resume were paused (or fired already): no trigger fires for them.
      ...(resumed ? { resumedAt: now } : {}),
    };
    schedule.nextRunAt = this.next(schedule);
    await this.deps.trigger.apply(schedule);
    await this.deps.schedules.put(schedule);
    return schedule;
  }

  async delete(name: string): Promise<void> {
    await this.get(name);
    await this.deps.trigger.remove(name);
    await this.deps.schedules.delete(name);
  }

  /**
   * Queues the job of one firing. The idempotency key names the schedule and the scheduled time,
   * so a trigger that fires twice for one time (at-least-once delivery) queues one job.
   */
  async fire(name: string, scheduledTime: Date): Promise<{ jobId?: string; skipped?: string }> {
    const schedule = await this.deps.schedules.get(name);
    if (!schedule) return { skipped: 'no such schedule' };
    if (schedule.state === 'paused') return { skipped: 'paused' };
    // A firing for a time the schedule was paused at (a trigger that went on from an older time,
    // e.g. after a restart) queues nothing.
    if (schedule.resumedAt && scheduledTime.getTime() < Date.parse(schedule.resumedAt))
      return { skipped: 'paused at that time' };
    // The template was validated when the schedule was made; parsing again types it as a request.
    const { job } = await this.deps.jobs.submit(
      parseInput(CreateJobRequest, { ...schedule.job, worker: schedule.worker }),
      { idempotencyKey: `schedule:${name}:${scheduledTime.toISOString()}` },
    );
    const latest = (await this.deps.schedules.get(name)) ?? schedule;
    await this.deps.schedules.put({
      ...latest,
      lastRunAt: scheduledTime.toISOString(),
      lastJobId: job.id,
      nextRunAt: this.next(latest, scheduledTime),
    });
    return { jobId: job.id };
  }

  /** When the schedule fires next after `after` (default now), or null while paused. */
  next(schedule: Schedule, after: Date = this.deps.clock.now()): string | null {
    if (schedule.state === 'paused') return null;
    return nextFireTime(
      expressionOf(schedule),
      schedule.timezone,
      after,
      new Date(schedule.createdAt),
    ).toISOString();
  }
}

/**
 * The time a trigger counts a schedule's next firing from: its last firing (or its creation), but
 * never before its last resume, so no firing falls in a window the schedule was paused.
 */
export function firesAfter(schedule: Schedule, fallback: Date): Date {
  const from = schedule.lastRunAt ? new Date(schedule.lastRunAt) : fallback;
  const resumed = schedule.resumedAt ? new Date(schedule.resumedAt) : undefined;
  return resumed && resumed > from ? resumed : from;
}

export function expressionOf(schedule: Schedule): ScheduleExpression {
  const parsed = parseScheduleExpression(schedule.expression);
  if (typeof parsed === 'string')
    throw new Error(`stored schedule "${schedule.name}" has a bad expression: ${parsed}`);
  return parsed;
}
