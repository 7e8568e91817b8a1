import { fileURLToPath } from 'node:url';

// Stands in for lib/shimImage.ts inside the published @runlater/cdk (aliased by scripts/build.mjs):
// the init container's Docker build context was staged when the package was built, so a user's
// `cdk synth` needs no esbuild.
export function stageShimImageContext(): string {
  return fileURLToPath(new URL('../shim-image/', import.meta.url));
}
