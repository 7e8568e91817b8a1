import { main } from './prepare.ts';

// Bundled as dist/prepare.mjs for the init container image.
main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
