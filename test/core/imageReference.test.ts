import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseImageReference } from '../../lambdas/core/imageReference.ts';

describe('image references', () => {
  it('fills in Docker Hub, library/ and latest for a bare name', () => {
    assert.deepEqual(parseImageReference('busybox'), {
      registry: 'docker.io',
      repository: 'library/busybox',
      tag: 'latest',
    });
  });

  it('reads registry, port, path, tag and digest', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    assert.deepEqual(parseImageReference(`localhost:5000/team/app:1.2@${digest}`), {
      registry: 'localhost:5000',
      repository: 'team/app',
      tag: '1.2',
      digest,
    });
    assert.deepEqual(parseImageReference('123456789012.dkr.ecr.eu-west-1.amazonaws.com/jobs/resize:v3'), {
      registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
      repository: 'jobs/resize',
      tag: 'v3',
    });
  });

  for (const bad of [
    '',
    'Busybox',
    'busy box',
    'repo:',
    'repo:tag:tag',
    '-repo',
    'repo@sha256:short',
    'a//b',
    'http://x/y',
  ]) {
    it(`rejects ${JSON.stringify(bad)}`, () => assert.equal(parseImageReference(bad), undefined));
  }
});
