import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { ensureTestImages } from '../support/images.ts';
import { startTestServer, type TestServer } from '../support/testServer.ts';
import { waitFor } from '../support/waitFor.ts';

// The packages as a user gets them: built, packed with `npm pack`, installed from the tarballs
// into a project of their own, then used there. Dependencies come from npm's cache when it has
// them (--prefer-offline); aws-cdk-lib and constructs, the construct's peers, are this clone's.

const ROOT = new URL('../..', import.meta.url).pathname;
const run = promisify(execFile);
const node = process.execPath;

interface Packed {
  name: string;
  filename: string;
  files: { path: string }[];
}

describe('the published packages, installed from their tarballs', () => {
  let dir: string;
  let project: string;
  let packed: Record<string, Packed>;
  let server: TestServer;
  const npm = (args: string[], cwd: string) =>
    run('npm', [...args, '--no-audit', '--no-fund'], { cwd, maxBuffer: 64 << 20, timeout: 300_000 });
  const inProject = (file: string, env: Record<string, string> = {}) =>
    run(node, [file], { cwd: project, env: { PATH: process.env.PATH!, HOME: dir, ...env } });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'runlater-pack-'));
    project = join(dir, 'user-app');
    await run(node, ['--import', 'tsx', 'scripts/build.ts', 'packages'], { cwd: ROOT });
    const out = await npm(
      [
        'pack',
        '--json',
        '--pack-destination',
        dir,
        ...['client', 'cdk', 'cli'].map((p) => join(ROOT, 'dist/packages', p)),
      ],
      dir,
    );
    packed = Object.fromEntries((JSON.parse(out.stdout) as Packed[]).map((p) => [p.name, p]));
    await run('mkdir', [project]);
    await writeFile(
      join(project, 'package.json'),
      JSON.stringify({ name: 'user-app', private: true, type: 'module' }),
    );
    await ensureTestImages();
    server = await startTestServer();
  });
  after(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('ship their build, README and LICENSE, and no tests or sources', () => {
    for (const name of ['@runlater/client', '@runlater/cdk', '@runlater/cli']) {
      const files = packed[name]!.files.map((f) => f.path);
      for (const must of ['LICENSE', 'README.md', 'package.json'])
        assert.ok(files.includes(must), `${name}: ${must}`);
      assert.deepEqual(
        files.filter((f) => /(^|\/)test\/|\.test\.|\.ts$/.test(f) && !f.endsWith('.d.ts')),
        [],
        name,
      );
    }
  });

  it('the client installs without aws-cdk-lib, imports by name and queues a job', async () => {
    await npm(['install', '--prefer-offline', join(dir, packed['@runlater/client']!.filename)], project);
    assert.ok(!existsSync(join(project, 'node_modules/aws-cdk-lib')), 'aws-cdk-lib was installed');
    const tree = JSON.parse((await npm(['ls', '--all', '--json'], project)).stdout);
    assert.deepEqual(Object.keys(tree.dependencies['@runlater/client'].dependencies ?? {}), ['zod']);

    const made = await server.api('POST', '/v1/workers', {
      name: 'upper',
      image: 'runlater-test/busybox',
      command: ['tr', 'a-z', 'A-Z'],
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    await writeFile(
      join(project, 'queue.mjs'),
      `import { RunlaterClient, resolveConnection, lineBytes } from '@runlater/client';
const client = new RunlaterClient(await resolveConnection());
const job = await client.submitJob({ worker: 'upper', stdin: 'hello from a user\\n' });
const done = await client.waitForJob(job.id, { timeoutMs: 120_000 });
const page = await client.getLogs(job.id);
console.log(JSON.stringify({ status: done.status, out: page.lines.map((l) => lineBytes(l).toString()).join('') }));
`,
    );
    const { stdout } = await inProject('queue.mjs', {
      RUNLATER_URL: server.url,
      RUNLATER_TOKEN: server.token,
    });
    assert.deepEqual(JSON.parse(stdout), { status: 'succeeded', out: 'HELLO FROM A USER\n' });
  });

  it('the client has types: a wrong call does not compile', async () => {
    await writeFile(
      join(project, 'typed.ts'),
      `import { RunlaterClient, type Job } from '@runlater/client';
const client = new RunlaterClient({ url: 'http://127.0.0.1:1', token: 't' });
export async function f(): Promise<Job['status']> {
  // @ts-expect-error: a job needs its worker
  await client.submitJob({ stdin: 'x' });
  return (await client.getJob('id')).status;
}
`,
    );
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const types = join(ROOT, 'node_modules/@types');
    const args = [
      '--noEmit',
      '--skipLibCheck',
      '--strict',
      '--module',
      'nodenext',
      '--target',
      'es2022',
      '--typeRoots',
      types,
      '--types',
      'node',
      'typed.ts',
    ];
    await run(node, [tsc, ...args], { cwd: project }).catch((err: { stdout: string }) =>
      assert.fail(err.stdout),
    );
  });

  it("the construct synthesizes in a user's own CDK app, and the CLI installs as a bin", async () => {
    await npm(
      [
        'install',
        '--prefer-offline',
        join(dir, packed['@runlater/cdk']!.filename),
        join(dir, packed['@runlater/cli']!.filename),
        join(ROOT, 'node_modules/aws-cdk-lib'),
        join(ROOT, 'node_modules/constructs'),
      ],
      project,
    );
    await writeFile(
      join(project, 'app.mjs'),
      `import { App, Stack } from 'aws-cdk-lib';
import { RunLater } from '@runlater/cdk';
const app = new App({ outdir: 'cdk.out' });
const stack = new Stack(app, 'MyJobs');
const jobs = new RunLater(stack, 'Jobs');
console.log(JSON.stringify(app.synth().getStackByName('MyJobs').template));
`,
    );
    const template = JSON.parse((await inProject('app.mjs')).stdout);
    const functions = Object.values(template.Resources as Record<string, any>).filter(
      (r) => r.Type === 'AWS::Lambda::Function',
    );
    assert.ok(functions.length >= 5, `${functions.length} functions`);
    for (const f of functions)
      assert.deepEqual([f.Properties.Handler, f.Properties.Runtime], ['index.handler', 'nodejs22.x']);
    assert.ok(
      Object.values(template.Resources as Record<string, any>).some(
        (r) => r.Type === 'AWS::ApiGatewayV2::Api',
      ),
    );

    const bin = join(project, 'node_modules/.bin/runlater');
    const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'));
    assert.equal((await run(bin, ['--version'], { cwd: project })).stdout, `${version}\n`);
    const env = {
      PATH: process.env.PATH!,
      HOME: dir,
      RUNLATER_URL: server.url,
      RUNLATER_TOKEN: server.token,
    };
    const listed = await run(bin, ['workers', 'list', '-o', 'json'], { cwd: project, env });
    const api = await server.api('GET', '/v1/workers');
    assert.deepEqual(JSON.parse(listed.stdout), api.body);
  });

  it('the installed CLI runs a dev server of its own: the API, its reference page, the console, metrics', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address() as AddressInfo;
    await new Promise((r) => probe.close(r));
    const child = spawn(
      join(project, 'node_modules/.bin/runlater'),
      ['dev', '--port', String(port), '-o', 'json'],
      {
        cwd: project,
        env: { PATH: process.env.PATH!, HOME: dir, RUNLATER_DATA_DIR: join(dir, 'dev-data') },
      },
    );
    try {
      let out = '';
      child.stdout!.on('data', (d) => (out += String(d)));
      const started = await waitFor(
        'the dev server to start',
        () => out.includes('\n}') && JSON.parse(out.slice(0, out.indexOf('\n}') + 2)),
        {
          timeoutMs: 60_000,
        },
      );
      const url = `http://127.0.0.1:${port}`;
      assert.equal(started.url, url);
      const health = await fetch(`${url}/v1/health`);
      assert.equal(health.status, 200);
      for (const [path, type] of [
        ['/docs', /^text\/html/],
        ['/docs/redoc.standalone.js', /^text\/javascript/],
        ['/', /^text\/html/],
        ['/metrics', /^text\/plain/],
      ] as const) {
        const res = await fetch(url + path);
        assert.equal(res.status, 200, path);
        assert.match(res.headers.get('content-type')!, type, path);
      }
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    }
  });
});
