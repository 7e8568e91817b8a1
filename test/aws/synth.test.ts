import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';

const run = promisify(execFile);
const ROOT = new URL('../..', import.meta.url).pathname;

describe('npx cdk synth', () => {
  it('synthesizes offline, with no AWS credentials and no context lookups', async () => {
    const out = await mkdtemp(join(tmpdir(), 'runlater-synth-'));
    try {
      const env: Record<string, string> = {
        PATH: process.env.PATH!,
        HOME: out,
        CDK_DISABLE_VERSION_CHECK: '1',
      };
      await run('npx', ['cdk', 'synth', '-q', '--no-notices', '-o', out], {
        cwd: ROOT,
        env,
        timeout: 300_000,
      });
      const template = JSON.parse(await readFile(join(out, 'RunLater.template.json'), 'utf8'));
      assert.ok(Object.keys(template.Resources).length > 50);
      const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
      assert.equal(manifest.missing, undefined, 'no context lookup was needed');
      // The API function's bundle carries the web console it serves at `/` (lib/webConsole.ts).
      const api = Object.values<any>(template.Resources).find(
        (r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Description === 'runlater: the HTTP API',
      );
      const bundle = join(out, `asset.${api.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
      const page = await readFile(join(bundle, 'console', 'index.html'), 'utf8');
      const script = /<script type="module" crossorigin src="\.\/(assets\/[\w.-]+\.js)"/.exec(page)?.[1];
      assert.ok(script, 'the page loads its script from the bundle');
      assert.ok((await readFile(join(bundle, 'console', script), 'utf8')).length > 1000);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
