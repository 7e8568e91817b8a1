import { nextFireTime } from '../lambdas/core/scheduleExpression.ts';
import { expressionOf, firesAfter } from '../lambdas/core/ScheduleService.ts';
import type { Clock, ScheduleStore, ScheduleTrigger } from '../lambdas/core/ports.ts';
import type { Schedule } from '../lambdas/core/schemas.ts';

export interface LocalScheduleTriggerOptions {
  store: ScheduleStore;
  clock: Clock;
  /** Called at each fire time, as EventBridge Scheduler would invoke the schedule-fire Lambda. */
  fire: (event: { schedule: string; scheduledTime: string }) => Promise<unknown>;
}

/**
 * Fires schedules on one machine, standing in for EventBridge Scheduler: one timer set to the
 * earliest next fire time. After a restart, a firing missed while the server was down runs once
 * (not once per missed time), then the schedule goes on from now. A time the schedule was paused
 * at is never fired: counting starts again at its last resume.
 */
export class LocalScheduleTrigger implements ScheduleTrigger {
  private readonly next = new Map<string, { schedule: Schedule; at: Date }>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;

  constructor(private readonly options: LocalScheduleTriggerOptions) {}

  async apply(schedule: Schedule): Promise<void> {
    this.track(schedule, firesAfter(schedule, this.options.clock.now()));
    this.arm();
  }

  async remove(name: string): Promise<void> {
    this.next.delete(name);
    this.arm();
  }

  async start(): Promise<void> {
    this.stopped = false;
    for (const schedule of await this.options.store.list())
      this.track(schedule, firesAfter(schedule, new Date(schedule.createdAt)));
    this.arm();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private track(schedule: Schedule, after: Date): void {
    if (schedule.state === 'paused') {
      this.next.delete(schedule.name);
      return;
    }
    const at = nextFireTime(expressionOf(schedule), schedule.timezone, after, new Date(schedule.createdAt));
    this.next.set(schedule.name, { schedule, at });
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.stopped || this.running) return;
    const soonest = Math.min(...[...this.next.values()].map((n) => n.at.getTime()));
    if (!Number.isFinite(soonest)) return;
    // Timers drift and cap at ~24 days: wake at most every minute and look again.
    const wait = Math.min(Math.max(0, soonest - this.options.clock.now().getTime()), 60_000);
    this.timer = setTimeout(() => {
      this.running = this.fireDue()
        .catch((err) => console.error('schedules: firing failed:', err))
        .finally(() => {
          this.running = undefined;
          this.arm();
        });
    }, wait);
  }

  private async fireDue(): Promise<void> {
    const now = this.options.clock.now();
    for (const [name, { schedule, at }] of [...this.next]) {
      if (at > now) continue;
      try {
        await this.options.fire({ schedule: name, scheduledTime: at.toISOString() });
      } catch (err) {
        console.error(`schedules: "${name}" at ${at.toISOString()} failed:`, err);
      }
      // Go on from the later of the fire time and now, so missed times are not fired one by one.
      if (this.next.get(name)?.schedule === schedule) this.track(schedule, at > now ? at : now);
    }
  }
}
