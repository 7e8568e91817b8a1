import { RetryLaterError } from '../core/errors.ts';

/** Time as the pacer sees it: injected, so the simulation in bench/ runs it on a virtual clock. */
export interface PacerTimers {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realTimers: PacerTimers = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** How fast the account may start tasks: a token bucket of `burst` tokens refilled at `ratePerSecond`. */
export interface LaunchQuota {
  ratePerSecond: number;
  burst: number;
}

/** Fargate's default task launch rate per account and region: a burst of 100, then 20 tasks/s. */
export const FARGATE_LAUNCH_QUOTA: LaunchQuota = { ratePerSecond: 20, burst: 100 };

/**
 * One dispatcher instance's share of the account's quota. Up to `concurrency` instances run at
 * once (the event source's maximum concurrency) and they cannot talk to each other, so each paces
 * itself at its share: together they never go over the quota, and when all are busy they reach it.
 */
export function shareOf(quota: LaunchQuota, concurrency: number): LaunchQuota {
  const n = Math.max(1, Math.floor(concurrency));
  return { ratePerSecond: quota.ratePerSecond / n, burst: Math.max(1, quota.burst / n) };
}

/**
 * Paces task launches within a launch quota (a token bucket, served in call order). A caller that
 * would wait longer than `maxWaitMs` is told to retry later instead, so its message goes back to
 * the queue for a few seconds rather than holding the function.
 *
 * @example
 * const pacer = new LaunchPacer(shareOf(FARGATE_LAUNCH_QUOTA, 5));
 * await pacer.acquire(); // then RunTask
 */
export class LaunchPacer {
  /** May go negative: each waiting caller has reserved the token it will take. */
  private tokens: number;
  private refilledAt: number;
  private pausedUntil = 0;

  constructor(
    private readonly quota: LaunchQuota,
    private readonly timers: PacerTimers = realTimers,
    private readonly maxWaitMs = 10_000,
  ) {
    this.tokens = quota.burst;
    this.refilledAt = timers.now();
  }

  /** Resolves when the caller may launch one task; throws RetryLaterError when that is too far off. */
  async acquire(): Promise<void> {
    const now = this.refill();
    const waitMs = Math.max(
      this.pausedUntil - now,
      this.tokens >= 1 ? 0 : ((1 - this.tokens) / this.quota.ratePerSecond) * 1000,
    );
    if (waitMs > this.maxWaitMs)
      throw new RetryLaterError(`launch rate reached; next launch in ${Math.ceil(waitMs)} ms`, 'throttled');
    this.tokens -= 1;
    if (waitMs > 0) await this.timers.sleep(Math.ceil(waitMs));
  }

  /**
   * The service throttled us anyway (other callers share the account's quota): spend what the
   * bucket holds and pause for one refill period, so this instance backs off at once.
   */
  throttled(): void {
    const now = this.refill();
    this.tokens = Math.min(this.tokens, 0);
    this.pausedUntil = Math.max(this.pausedUntil, now + 1000 / this.quota.ratePerSecond);
  }

  private refill(): number {
    const now = this.timers.now();
    const elapsed = Math.max(0, now - this.refilledAt) / 1000;
    this.tokens = Math.min(this.quota.burst, this.tokens + elapsed * this.quota.ratePerSecond);
    this.refilledAt = now;
    return now;
  }
}

/** The quota and concurrency the CDK construct sets on the dispatcher (LAUNCH_* env); Fargate's defaults otherwise. */
export function launchQuotaFromEnv(env: NodeJS.ProcessEnv): LaunchQuota {
  const number = (name: string, fallback: number) => {
    const value = Number(env[name]);
    return env[name] && Number.isFinite(value) && value > 0 ? value : fallback;
  };
  return shareOf(
    {
      ratePerSecond: number('LAUNCH_RATE_PER_SECOND', FARGATE_LAUNCH_QUOTA.ratePerSecond),
      burst: number('LAUNCH_BURST', FARGATE_LAUNCH_QUOTA.burst),
    },
    number('DISPATCHER_CONCURRENCY', 5),
  );
}
