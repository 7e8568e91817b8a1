import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ENTRYPOINTS = fileURLToPath(new URL('../lambdas/entrypoints/', import.meta.url));

/**
 * Packages the Lambda bundles take from a module of ours (esbuild's `--alias`, lib/RunLater.ts).
 * A path here is resolved from the project's root, as esbuild resolves an alias; an alias also
 * applies to the package's subpaths (`semver/...`).
 */
export const BUNDLE_ALIASES: Record<string, string> = {
  // Lambda gives credentials in the environment: the SDK's whole default chain is not bundled.
  '@aws-sdk/credential-provider-node': join(ENTRYPOINTS, 'lambdaCredentials.ts'),
  // X-Ray's SDK takes all of semver for one semver.gte: semver's own gte instead (29 -> 9 KB).
  semver: join(ENTRYPOINTS, 'semverGte.ts'),
  // The alias above would also rewrite that module's own import of semver/functions/gte; an exact
  // alias wins over a subpath's, and keeps it semver's.
  'semver/functions/gte': 'semver/functions/gte',
};

/** The same as esbuild command-line arguments, for NodejsFunction's `esbuildArgs`. */
export const bundleAliasArgs = (): Record<string, string> =>
  Object.fromEntries(Object.entries(BUNDLE_ALIASES).map(([from, to]) => [`--alias:${from}`, to]));
