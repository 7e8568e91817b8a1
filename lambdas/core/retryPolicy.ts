import type { RetryPolicy } from './schemas.ts';

/** Named backoff policies, as in choria asyncjobs: the delay before retry n (1-based), in seconds. */
const NAMED_BACKOFF: Record<'none' | '1m' | '10m' | '1h', readonly number[]> = {
  none: [0],
  '1m': [5, 10, 20, 30, 45, 60],
  '10m': [60, 120, 240, 360, 480, 600],
  '1h': [300, 600, 1200, 1800, 2700, 3600],
};

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 1, backoff: 'none', jitter: true };

/**
 * Seconds to wait before the attempt after `attempt` (1-based). Pure: `random` is injected so tests
 * are exact. Jitter spreads the delay by up to ±20% so retries of a burst do not arrive together.
 */
export function retryDelaySeconds(
  policy: RetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const steps = typeof policy.backoff === 'string' ? NAMED_BACKOFF[policy.backoff] : policy.backoff;
  const base = steps[Math.min(attempt, steps.length) - 1] ?? 0;
  if (!policy.jitter || base === 0) return base;
  return Math.max(0, Math.round(base * (0.8 + 0.4 * random())));
}

/** Whether an attempt that exited with `exitCode` may be retried under `policy` (attempts aside). */
export function isRetryableExit(policy: RetryPolicy, exitCode: number): boolean {
  if (exitCode === 0) return false;
  if (policy.noRetryExitCodes?.includes(exitCode)) return false;
  if (policy.retryOnExitCodes) return policy.retryOnExitCodes.includes(exitCode);
  return true;
}
