// Builds what runs without TypeScript tooling (run with `npm run build`):
//   node --import tsx scripts/build.ts            the CLI bundle in dist/cli/ (bin/runlater.mjs starts it)
//   node --import tsx scripts/build.ts packages   also dist/packages/{client,cdk,cli}, ready for `npm pack`
// Each package's manifest is written here from the root package.json (version, license, the
// dependency versions), so nothing is kept twice.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { REDOC_SCRIPT, redocScriptPath } from '../lambdas/handlers/docsPage.ts';
import { stageShimImageContext } from '../lib/shimImage.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const at = (...p: string[]) => join(ROOT, ...p);
const rootManifest = JSON.parse(readFileSync(at('package.json'), 'utf8'));
const BUILTINS = new Set(builtinModules);

/** The npm packages a build imports at run time (its externals), e.g. `@aws-sdk/client-s3`. */
function externalPackages(meta: esbuild.Metafile): string[] {
  const names = new Set<string>();
  for (const output of Object.values(meta.outputs)) {
    for (const imp of output.imports) {
      if (!imp.external || imp.path.startsWith('node:') || BUILTINS.has(imp.path)) continue;
      const parts = imp.path.split('/');
      names.add(imp.path.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!);
    }
  }
  return [...names].sort();
}

/** `{name: range}` from the root manifest, which must list every package used. */
function versions(names: string[]): Record<string, string> {
  const all = { ...rootManifest.devDependencies, ...rootManifest.dependencies };
  return Object.fromEntries(
    names.map((n) => {
      if (!all[n]) throw new Error(`build: ${n} is imported but not in package.json`);
      return [n, all[n]];
    }),
  );
}

const common = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  logLevel: 'error',
  metafile: true,
} as const;

/** The CLI: our sources in one bundle, npm packages left to node_modules. */
async function buildCli(outdir: string, extraBanner = ''): Promise<string[]> {
  rmSync(outdir, { recursive: true, force: true });
  const result = await esbuild.build({
    ...common,
    entryPoints: { runlater: at('bin/cli/main.ts') },
    outdir,
    // `dev` and `tokens bootstrap` load dynalite, Docker and the AWS SDK: separate chunks keep
    // `runlater --help` and every other verb from loading them.
    splitting: true,
    chunkNames: '[name]-[hash]',
    packages: 'external',
    banner: { js: `#!/usr/bin/env node${extraBanner}` },
  });
  // lambdas/shim/prepare.ts finds the shim script next to the code that runs it.
  cpSync(at('lambdas/shim/shim.sh'), join(outdir, 'shim.sh'));
  cpSync(redocScriptPath(), join(outdir, REDOC_SCRIPT));
  // local/embeddedDynamo.ts loads dynalite with createRequire, which esbuild does not follow.
  return [...externalPackages(result.metafile), 'dynalite'].sort();
}

/** Declarations of both libraries, with `.ts` imports turned into the `.js` a consumer resolves. */
function buildTypes(): void {
  rmSync(at('dist/types'), { recursive: true, force: true });
  execFileSync(
    process.execPath,
    [at('node_modules/typescript/bin/tsc'), '-p', at('packages/tsconfig.json')],
    {
      stdio: 'inherit',
    },
  );
}

/** Copies the .d.ts files reachable from `entry` (relative to dist/types) into `dest`. */
function copyTypes(entry: string, dest: string): void {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(at('dist/types', file), 'utf8');
    const rewritten = text.replace(
      /(from |import\()'(\.{1,2}\/[^']+)\.ts'/g,
      (_, head: string, spec: string) => {
        visit(join(dirname(file), `${spec}.d.ts`));
        return `${head}'${spec}.js'`;
      },
    );
    mkdirSync(dirname(join(dest, file)), { recursive: true });
    writeFileSync(join(dest, file), rewritten);
  };
  visit(entry);
}

function writeManifest(dir: string, manifest: Record<string, unknown>): void {
  const { version, license, engines, repository, homepage } = rootManifest;
  const full = {
    ...manifest,
    version,
    license,
    type: 'module',
    engines,
    ...(repository ? { repository } : {}),
    ...(homepage ? { homepage } : {}),
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(full, null, 2)}\n`);
  cpSync(at('LICENSE'), join(dir, 'LICENSE'));
  cpSync(at('packages', relative(at('dist/packages'), dir), 'README.md'), join(dir, 'README.md'));
}

async function buildClient(dir: string): Promise<void> {
  const result = await esbuild.build({
    ...common,
    entryPoints: [at('client/index.ts')],
    outfile: join(dir, 'dist/index.js'),
    packages: 'external',
  });
  const runtime = externalPackages(result.metafile);
  if (runtime.length) throw new Error(`build: the client should import no package, imports ${runtime}`);
  copyTypes('client/index.d.ts', join(dir, 'types'));
  writeManifest(dir, {
    name: '@runlater/client',
    description: 'Typed client for the runlater API: queue container jobs, follow their output.',
    exports: { '.': { types: './types/client/index.d.ts', default: './dist/index.js' } },
    types: './types/client/index.d.ts',
    files: ['dist', 'types'],
    // The types are zod's inferred types of the server's schemas; no zod code runs in the client.
    dependencies: versions(['zod']),
  });
}

const PEERS = ['aws-cdk-lib', 'constructs'];

async function buildCdk(dir: string): Promise<void> {
  const result = await esbuild.build({
    ...common,
    entryPoints: [at('packages/cdk/src/index.ts')],
    outfile: join(dir, 'dist/index.js'),
    packages: 'external',
    plugins: [
      {
        // The published construct uses code bundled now instead of bundling at the user's synth.
        name: 'prebuilt',
        setup(build) {
          build.onResolve({ filter: /^aws-cdk-lib\/aws-lambda-nodejs$/ }, () => ({
            path: at('packages/cdk/src/prebuiltFunction.ts'),
          }));
          build.onResolve({ filter: /\/shimImage\.ts$/ }, () => ({
            path: at('packages/cdk/src/prebuiltShimImage.ts'),
          }));
        },
      },
    ],
  });
  const runtime = externalPackages(result.metafile);
  // The same bundling options as the construct gives NodejsFunction (lib/RunLater.ts).
  // Every entry point that exports a Lambda handler (awsRuntime.ts is shared wiring, not one).
  for (const file of readdirSync(at('lambdas/entrypoints'))) {
    const entry = at('lambdas/entrypoints', file);
    if (!/export const handler\b/.test(readFileSync(entry, 'utf8'))) continue;
    const name = basename(file, '.ts');
    await esbuild.build({
      ...common,
      entryPoints: [entry],
      outfile: join(dir, 'lambdas', name, 'index.mjs'),
      minify: true,
      sourcemap: true,
      banner: {
        js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
      },
    });
  }
  // GET /docs serves Redoc's script from beside the API function's code (lambdas/handlers/docsPage.ts),
  // and / the web console from console/ there (lambdas/handlers/http/webConsole.ts).
  cpSync(redocScriptPath(), join(dir, 'lambdas', 'api', REDOC_SCRIPT));
  cpSync(at('web/dist'), join(dir, 'lambdas', 'api', 'console'), { recursive: true });
  cpSync(stageShimImageContext(), join(dir, 'shim-image'), { recursive: true });
  copyTypes('packages/cdk/src/index.d.ts', join(dir, 'types'));
  writeManifest(dir, {
    name: '@runlater/cdk',
    description: 'runlater as an AWS CDK construct: run any container image later, serverless.',
    exports: { '.': { types: './types/packages/cdk/src/index.d.ts', default: './dist/index.js' } },
    types: './types/packages/cdk/src/index.d.ts',
    files: ['dist', 'types', 'lambdas', 'shim-image'],
    dependencies: versions(runtime.filter((n) => !PEERS.includes(n))),
    peerDependencies: Object.fromEntries(PEERS.map((n) => [n, `^${versions([n])[n]!.replace(/^\^/, '')}`])),
  });
}

async function buildCliPackage(dir: string): Promise<void> {
  // The web console the dev server serves at / (lambdas/handlers/http/webConsole.ts) ships beside
  // the bundle, which tells the handler where it is.
  const consoleDirBanner = `\nif (!process.env.RUNLATER_CONSOLE_DIR) process.env.RUNLATER_CONSOLE_DIR = new URL('./console/', import.meta.url).pathname;`;
  const runtime = await buildCli(join(dir, 'dist'), consoleDirBanner);
  cpSync(at('web/dist'), join(dir, 'dist', 'console'), { recursive: true });
  writeManifest(dir, {
    name: '@runlater/cli',
    description: 'The runlater CLI: run any container image later, on this machine (runlater dev) or on AWS.',
    bin: { runlater: './dist/runlater.js' },
    files: ['dist'],
    dependencies: versions(runtime),
  });
}

const cliDeps = await buildCli(at('dist/cli'));
if (process.argv.includes('packages')) {
  rmSync(at('dist/packages'), { recursive: true, force: true });
  // The console ships in the CLI and the construct: build it when it is not up to date.
  execFileSync(process.execPath, [at('scripts/build-web.mjs'), '--if-stale'], { stdio: 'inherit' });
  buildTypes();
  await buildClient(at('dist/packages/client'));
  await buildCdk(at('dist/packages/cdk'));
  await buildCliPackage(at('dist/packages/cli'));
  console.log(`built dist/cli (uses ${cliDeps.length} packages) and dist/packages/{client,cdk,cli}`);
}
