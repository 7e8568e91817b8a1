import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as esbuild from 'esbuild';
import * as semver from 'semver';
import { BUNDLE_ALIASES } from '../../lib/bundleAliases.ts';
import { FUNCTION_NAMES } from '../../lambdas/entrypoints/functionEnv.ts';
import * as shim from '../../lambdas/entrypoints/semverGte.ts';

const ROOT = new URL('../..', import.meta.url).pathname;

/**
 * The Lambda bundles take `semver` from lambdas/entrypoints/semverGte.ts (semver's own `gte`, not
 * the whole package): every module they bundle that requires semver must call nothing else.
 */
describe('the semver the Lambda bundles carry', () => {
  it('gives every module of every bundle that requires semver all it calls', async () => {
    // Each entry point bundled as the stack bundles it, but with the real semver, to see who asks for it.
    const { semver: _semver, 'semver/functions/gte': _gte, ...otherAliases } = BUNDLE_ALIASES;
    const callers = new Set<string>();
    for (const name of FUNCTION_NAMES) {
      const { metafile } = await esbuild.build({
        entryPoints: [join(ROOT, 'lambdas', 'entrypoints', `${name}.ts`)],
        absWorkingDir: ROOT,
        bundle: true,
        platform: 'node',
        format: 'esm',
        mainFields: ['module', 'main'],
        target: 'node22',
        alias: otherAliases,
        write: false,
        outfile: 'out.mjs',
        metafile: true,
        logLevel: 'silent',
      });
      for (const [file, input] of Object.entries(metafile.inputs))
        if (input.imports.some((i) => i.original === 'semver')) callers.add(file);
    }
    // aws-xray-sdk-core's SDK v2 patcher, under the Powertools Tracer; none means the alias can go.
    assert.ok(callers.size > 0, 'no bundled module requires semver any more: drop the alias');
    for (const file of callers) {
      const source = await readFile(join(ROOT, file), 'utf8');
      const binding = /(\w+)\s*=\s*require\(\s*['"]semver['"]\s*\)/.exec(source)?.[1];
      assert.ok(binding, `${file} uses semver some other way than \`x = require('semver')\`: check the shim`);
      const called = new Set(
        [...source.matchAll(new RegExp(`\\b${binding}\\.(\\w+)`, 'g'))].map((m) => m[1]!),
      );
      assert.ok(called.size > 0, `${file} requires semver and calls nothing from it`);
      for (const fn of called)
        assert.equal(typeof (shim as Record<string, unknown>)[fn], 'function', `${file} calls semver.${fn}`);
    }
  });

  it("answers gte as semver does, for the versions Node reports and the SDK's", () => {
    const versions = [
      ...Object.values(process.versions).filter((v): v is string => semver.valid(v) !== null),
      '2.1.0',
      '2.2.0',
      '2.1.1',
      '3.0.0',
      '3.1175.0',
      '22.0.0-rc.1',
      '22.0.0',
    ];
    for (const a of versions)
      for (const b of versions) assert.equal(shim.gte(a, b), semver.gte(a, b), `gte(${a}, ${b})`);
    assert.throws(() => shim.gte('not a version', '1.0.0'), TypeError);
  });
});
