#!/usr/bin/env node
// Builds the web console with Vite (web/ → web/dist/). With --if-stale it builds only when web/dist
// is missing or older than a source file, so `npm start` and CDK bundling stay quick; a failed build
// then only warns (the API still serves, and `/` says the console is not built).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const web = join(import.meta.dirname, '..', 'web');
const built = join(web, 'dist', 'index.html');
const ifStale = process.argv.includes('--if-stale');

function newest(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

function stale() {
  let builtAt;
  try {
    builtAt = statSync(built).mtimeMs;
  } catch {
    return true;
  }
  const sources = ['src', 'public', 'index.html', 'vite.config.ts'].map((p) => newest(join(web, p)));
  return Math.max(...sources) > builtAt;
}

if (ifStale && !stale()) process.exit(0);
try {
  const { build } = await import('vite');
  await build({ configFile: join(web, 'vite.config.ts') });
  console.error(`web console built in ${join('web', 'dist')}`);
} catch (err) {
  console.error(`web console: build failed: ${err.message}`);
  process.exit(ifStale ? 0 : 1);
}
