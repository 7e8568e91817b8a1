import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRetryableExit, retryDelaySeconds } from '../../lambdas/core/retryPolicy.ts';

describe('retry policies', () => {
  it('names delays as asyncjobs does, growing to the policy maximum', () => {
    const policy = { maxAttempts: 10, backoff: '10m' as const, jitter: false };
    assert.deepEqual(
      [1, 2, 3, 6, 9].map((n) => retryDelaySeconds(policy, n)),
      [60, 120, 240, 600, 600],
    );
  });

  it('takes an explicit list of delays, repeating the last', () => {
    const policy = { maxAttempts: 5, backoff: [1, 5], jitter: false };
    assert.deepEqual(
      [1, 2, 3].map((n) => retryDelaySeconds(policy, n)),
      [1, 5, 5],
    );
  });

  it('spreads by at most ±20% with jitter', () => {
    const policy = { maxAttempts: 3, backoff: [100], jitter: true };
    assert.equal(
      retryDelaySeconds(policy, 1, () => 0),
      80,
    );
    assert.equal(
      retryDelaySeconds(policy, 1, () => 0.999999),
      120,
    );
  });

  it('retries non-zero exits unless the worker names them final', () => {
    const policy = { maxAttempts: 3, backoff: 'none' as const, jitter: false, noRetryExitCodes: [64] };
    assert.equal(isRetryableExit(policy, 1), true);
    assert.equal(isRetryableExit(policy, 64), false);
    assert.equal(isRetryableExit(policy, 0), false);
    assert.equal(isRetryableExit({ ...policy, retryOnExitCodes: [75] }, 1), false);
  });
});
