#!/usr/bin/env node
// The `runlater` command in a clone. It starts the prebuilt bundle (dist/cli, made by `npm run build`,
// which `npm install` runs as the `prepare` script), so that a command starts in a few tens of
// milliseconds; when the bundle is missing or older than any source it was built from, it runs
// the TypeScript sources through tsx instead, so an edit is never shadowed by a stale bundle.
import { readdirSync, statSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath, URL } from 'node:url';

const root = new URL('..', import.meta.url);
const bundle = new URL('dist/cli/runlater.js', root);

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    const t = entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs;
    if (t > newest) newest = t;
  }
  return newest;
}

function bundleIsFresh() {
  let built;
  try {
    built = statSync(bundle).mtimeMs;
  } catch {
    return false;
  }
  const base = fileURLToPath(root);
  const sources = ['bin/cli', 'client', 'local', 'lambdas'].map((d) => newestSource(`${base}${d}`));
  return Math.max(statSync(`${base}package.json`).mtimeMs, ...sources) <= built;
}

if (bundleIsFresh()) {
  // Node keeps the bundle's compiled code on disk (in the system's temp dir) and a later start
  // reuses it: about 10 ms of every command's start.
  module.enableCompileCache?.();
  // The bundle lives in dist/cli, not beside the sources that find the web console by their path.
  process.env.RUNLATER_CONSOLE_DIR ??= fileURLToPath(new URL('web/dist/', root));
  await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./cli/main.ts');
}
