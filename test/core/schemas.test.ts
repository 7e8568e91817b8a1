import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '../../lambdas/core/errors.ts';
import { CreateJobRequest, CreateWorkerRequest, parseInput } from '../../lambdas/core/schemas.ts';

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ValidationError, `expected a ValidationError, got ${String(err)}`);
    return err.field;
  }
  assert.fail('expected a ValidationError');
}

describe('request validation names the bad field', () => {
  it('unknown fields', () => {
    assert.equal(
      fieldOf(() => parseInput(CreateWorkerRequest, { name: 'a', image: 'busybox', colour: 'red' })),
      'colour',
    );
  });
  it('env names', () => {
    assert.equal(
      fieldOf(() => parseInput(CreateJobRequest, { worker: 'a', env: { '1BAD': 'x' } })),
      'env.1BAD',
    );
    assert.equal(
      fieldOf(() => parseInput(CreateJobRequest, { worker: 'a', env: { RUNLATER_X: 'x' } })),
      'env.RUNLATER_X',
    );
  });
  it('a job env measured as ECS will carry it: escaping counts', () => {
    // 39 variables, 4,007 characters (within 4,096) but twice the values' size once escaped.
    const quotes: Record<string, string> = {};
    for (let i = 0; i < 39; i++) quotes[`V${i}`] = '"'.repeat(100);
    assert.equal(
      fieldOf(() => parseInput(CreateJobRequest, { worker: 'a', env: quotes })),
      'env',
    );
    const plain = Object.fromEntries(Object.keys(quotes).map((k) => [k, 'x'.repeat(100)]));
    assert.deepEqual(parseInput(CreateJobRequest, { worker: 'a', env: plain }).env, plain);
  });
  it('image references', () => {
    assert.equal(
      fieldOf(() => parseInput(CreateWorkerRequest, { name: 'a', image: 'Not An Image' })),
      'image',
    );
  });
  it('stdin and stdinBase64 together', () => {
    assert.equal(
      fieldOf(() => parseInput(CreateJobRequest, { worker: 'a', stdin: 'x', stdinBase64: 'eA==' })),
      'stdinBase64',
    );
  });
  it('task roles: only roles named runlater-job-*', () => {
    assert.equal(
      fieldOf(() =>
        parseInput(CreateWorkerRequest, {
          name: 'a',
          image: 'busybox',
          taskRoleArn: 'arn:aws:iam::123456789012:role/Admin',
        }),
      ),
      'taskRoleArn',
    );
    const ok = parseInput(CreateWorkerRequest, {
      name: 'a',
      image: 'busybox',
      taskRoleArn: 'arn:aws:iam::123456789012:role/jobs/runlater-job-thumbs',
    });
    assert.equal(ok.taskRoleArn, 'arn:aws:iam::123456789012:role/jobs/runlater-job-thumbs');
  });

  it('accepts a full, valid job', () => {
    const job = parseInput(CreateJobRequest, {
      worker: 'a',
      stdinBase64: 'AAEC',
      env: { A_B: '1' },
      delaySeconds: 5,
    });
    assert.equal(job.delaySeconds, 5);
  });
});
