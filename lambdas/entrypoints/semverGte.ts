import gte from 'semver/functions/gte';

/**
 * Stands in for `semver` in the Lambda bundles (lib/bundleAliases.ts aliases it here). X-Ray's SDK, under
 * the Powertools Tracer, requires the whole package (29 KB minified) for one call, `semver.gte` (its
 * SDK v2 patcher checks the SDK's version); cls-hooked, which also requires it, is not bundled. This
 * is semver's own `gte` with the modules it needs (about 9 KB). test/aws/semverShim.test.ts checks
 * that it exports every function those packages call.
 */
export { gte };
