import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertStaticBinarySync } from '../lambdas/shim/staticBinary.ts';

const SHIM_DIR = fileURLToPath(new URL('../lambdas/shim/', import.meta.url));

/** Where the init image's busybox comes from: RUNLATER_BUSYBOX, else Debian's busybox-static. */
export function busyboxForImage(env: NodeJS.ProcessEnv = process.env): string {
  return env.RUNLATER_BUSYBOX ?? '/bin/busybox';
}

/**
 * Stages the init container's Docker build context: the Dockerfile and scripts from lambdas/shim
 * and this machine's static busybox. Offline and quick, so `cdk synth` stays both; the image
 * (FROM scratch, no base image to pull) is built by `cdk deploy` or by the tests.
 */
export function stageShimImageContext(busybox = busyboxForImage()): string {
  assertStaticBinarySync(busybox);
  const dir = mkdtempSync(join(tmpdir(), 'runlater-shim-image-'));
  for (const name of ['Dockerfile', 'init.sh', 'shim.sh'])
    copyFileSync(join(SHIM_DIR, name), join(dir, name));
  copyFileSync(busybox, join(dir, 'busybox'));
  return dir;
}
