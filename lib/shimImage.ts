import { buildSync } from 'esbuild';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SHIM_DIR = fileURLToPath(new URL('../lambdas/shim/', import.meta.url));

/**
 * Stages the init container's Docker build context: the Dockerfile and shim script from
 * lambdas/shim, and prepare.ts bundled into one file by esbuild. Offline and quick, so `cdk synth`
 * stays both; the image itself is built by `cdk deploy`.
 */
export function stageShimImageContext(): string {
  const dir = mkdtempSync(join(tmpdir(), 'runlater-shim-image-'));
  mkdirSync(join(dir, 'dist'));
  copyFileSync(join(SHIM_DIR, 'Dockerfile'), join(dir, 'Dockerfile'));
  copyFileSync(join(SHIM_DIR, 'shim.sh'), join(dir, 'shim.sh'));
  buildSync({
    entryPoints: [join(SHIM_DIR, 'initContainer.ts')],
    outfile: join(dir, 'dist', 'prepare.mjs'),
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    logLevel: 'error',
  });
  return dir;
}
