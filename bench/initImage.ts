import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { stageShimImageContext } from '../lib/shimImage.ts';
import type { Row } from './stats.ts';

const run = promisify(execFile);

/** Point 3: the init image built as `cdk deploy` builds it, and its size. */
export async function initImageRows(): Promise<Row[]> {
  const context = stageShimImageContext();
  const tag = 'runlater-bench/init:latest';
  try {
    await run('docker', ['build', '-q', '-t', tag, context], {
      env: { ...process.env, DOCKER_BUILDKIT: '0' },
    });
  } finally {
    await rm(context, { recursive: true, force: true });
  }
  const { stdout } = await run('docker', ['image', 'inspect', '--format', '{{.Size}}', tag]);
  const mb = Number(stdout) / 1e6;
  return [
    {
      figure: 'init container image',
      now: `${mb.toFixed(2)} MB (FROM scratch: busybox + 2 scripts)`,
      baseline: 'node:22-bookworm-slim + busybox, ~80 MB (issue 11; not built here)',
      ratio: `${(mb / 80).toFixed(3)}×`,
      target: '≤ 5 MB',
    },
  ];
}
