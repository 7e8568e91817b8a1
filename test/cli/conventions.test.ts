import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { jobFixture } from '../support/fixtures.ts';
import { cliAgainstFakeApi, ROOT, runlater } from './runCli.ts';

// What users of gh, aws and ajc expect of a CLI: checked on the CLI as it runs, against a fake API.

const sh = promisify(execFile);
const ESC = '\u001b';

describe('the runlater CLI follows the conventions', () => {
  const cli = cliAgainstFakeApi('tok', () => ({ status: 200, body: { jobs: [] } }));

  /** Every command path, read from the completion script (which is generated from the tree). */
  async function verbs(): Promise<string[][]> {
    const script = String((await runlater(['completion', 'bash'], cli.env)).stdout);
    const pattern = /case "\$path\/\$w" in\n\s+(\S+)\)/.exec(script)![1]!;
    const paths = pattern.split('|').map((p) => p.replace(/^\//, '').replace('/', ' '));
    const groups = new Set(
      paths.map((p) => p.split(' ')[0]).filter((g) => paths.some((p) => p.startsWith(`${g} `))),
    );
    return paths.filter((p) => !groups.has(p)).map((p) => p.split(' '));
  }

  it('prints its version', async () => {
    const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'));
    const res = await runlater(['--version'], cli.env);
    assert.deepEqual([res.code, String(res.stdout)], [0, `${version}\n`]);
  });

  it('has -o, --output and two or more examples in the --help of every verb', async () => {
    const all = await verbs();
    assert.ok(all.length >= 25, `only ${all.length} verbs found`);
    for (const verb of all) {
      const help = String((await runlater([...verb, '--help'], cli.env)).stdout);
      if (verb[0] !== 'completion')
        assert.match(
          help,
          /-o, --output <format>\s+output format \(choices: "table", "json", "yaml"/,
          verb.join(' '),
        );
      assert.ok(
        (help.match(/^ {2}\$ runlater /gm) ?? []).length >= 2,
        `${verb.join(' ')}: fewer than 2 examples`,
      );
    }
    assert.equal(cli.api.requests.length, 0);
  });

  it('prints the API answer unchanged for -o json, lists included', async () => {
    const worker = { name: 'w', image: 'busybox', env: {}, retry: { maxAttempts: 1, backoff: 'none' } };
    cli.reply = (req) =>
      req.path === '/v1/workers'
        ? { status: 200, body: { workers: [worker] } }
        : { status: 200, body: { tokens: [{ id: 't1', name: 'ci', scopes: ['jobs'], createdAt: 'x' }] } };
    const workers = await runlater(['workers', 'list', '-o', 'json'], cli.env);
    assert.deepEqual(JSON.parse(String(workers.stdout)), { workers: [worker] });
    const tokens = await runlater(['tokens', 'list', '-o', 'yaml'], cli.env);
    assert.match(String(tokens.stdout), /^tokens:\n {2}- id: t1\n/);
  });

  it('jobs wait exits with the job exit code, or 124 when --timeout runs out', async () => {
    cli.reply = () => ({ status: 200, body: jobFixture({ id: 'j1', status: 'failed', exitCode: 3 }) });
    const failed = await runlater(['jobs', 'wait', 'j1', '-o', 'json'], cli.env);
    assert.equal(failed.code, 3, String(failed.stderr));
    assert.equal(JSON.parse(String(failed.stdout)).exitCode, 3);
    cli.reply = () => ({ status: 200, body: jobFixture({ id: 'j1', status: 'running' }) });
    const waiting = await runlater(['jobs', 'wait', 'j1', '--timeout', '1'], cli.env);
    assert.equal(waiting.code, 124);
    assert.match(String(waiting.stderr), /job j1 still running after 1s/);
  });

  it('keeps logins as profiles: --profile, RUNLATER_PROFILE, whoami, logout', async () => {
    const bare = { HOME: cli.home };
    const login = await runlater(
      ['--profile', 'staging', 'login', cli.api.url, '--token', 'stage-tok'],
      bare,
    );
    assert.equal(login.code, 0, String(login.stderr));
    await runlater(['login', cli.api.url, '--token', 'default-tok'], bare);

    await runlater(['jobs', 'list'], { ...bare, RUNLATER_PROFILE: 'staging' });
    assert.equal(cli.api.requests.at(-1)!.headers.authorization, 'Bearer stage-tok');
    await runlater(['jobs', 'list'], bare);
    assert.equal(cli.api.requests.at(-1)!.headers.authorization, 'Bearer default-tok');

    const who = await runlater(['-p', 'staging', 'whoami', '-o', 'json'], bare);
    assert.deepEqual(JSON.parse(String(who.stdout)), {
      url: cli.api.url,
      profile: 'staging',
      tokenFrom: join(cli.home, '.config', 'runlater', 'config.json'),
    });

    const out = await runlater(['logout', '-o', 'json'], { ...bare, RUNLATER_PROFILE: 'staging' });
    assert.deepEqual(JSON.parse(String(out.stdout)), { profile: 'staging', removed: true });
    const gone = await runlater(['jobs', 'list'], { ...bare, RUNLATER_PROFILE: 'staging' });
    assert.equal(gone.code, 1);
    assert.match(String(gone.stderr), /no profile "staging": run `runlater login URL --profile staging`/);
    await runlater(['logout'], bare);
  });

  it('finds a dev server on another port or data dir by the note it leaves', async () => {
    // `runlater dev` writes <data dir>/server.json, and (the CLI's `dev`) a note in the state dir.
    const project = join(cli.home, 'project');
    await mkdir(join(project, '.runlater'), { recursive: true });
    await writeFile(join(project, '.runlater', 'token'), 'here-tok\n');
    const note = { url: cli.api.url, pid: process.pid };
    await writeFile(join(project, '.runlater', 'server.json'), JSON.stringify(note));
    const here = await runlater(['jobs', 'list'], { HOME: cli.home, CWD: project });
    assert.equal(here.code, 0, String(here.stderr));
    assert.equal(cli.api.requests.at(-1)!.headers.authorization, 'Bearer here-tok');

    const elsewhere = join(cli.home, 'data-elsewhere');
    await mkdir(elsewhere, { recursive: true });
    await writeFile(join(elsewhere, 'token'), 'elsewhere-tok\n');
    const state = join(cli.home, 'state');
    await mkdir(join(state, 'runlater'), { recursive: true });
    await writeFile(
      join(state, 'runlater', 'dev-server.json'),
      JSON.stringify({ ...note, dataDir: elsewhere }),
    );
    const far = await runlater(['jobs', 'list'], { HOME: cli.home, CWD: cli.home, XDG_STATE_HOME: state });
    assert.equal(far.code, 0, String(far.stderr));
    assert.equal(cli.api.requests.at(-1)!.headers.authorization, 'Bearer elsewhere-tok');
  });

  it('completes verbs, options and their choices in bash', async () => {
    const complete = async (...words: string[]) => {
      const script = `source <($RUNLATER completion bash); COMP_WORDS=(runlater ${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length}; _runlater_completions; echo "\${COMPREPLY[*]}"`;
      const { stdout } = await sh('bash', ['-c', script], {
        env: {
          PATH: process.env.PATH!,
          HOME: cli.home,
          RUNLATER: `${process.execPath} ${join(ROOT, 'bin/runlater.mjs')}`,
        },
      });
      return stdout.trim();
    };
    assert.equal(await complete('jobs', 'l'), 'list logs');
    assert.equal(await complete('jobs', 'list', '--status', 'f'), 'failed');
    assert.equal(await complete('workers', 'list', '-o', ''), 'table json yaml');
    for (const shell of ['zsh', 'fish']) {
      const res = await runlater(['completion', shell], cli.env);
      assert.equal(res.code, 0);
      assert.match(String(res.stdout), /runlater/);
    }
  });

  it('pads and colours for a terminal, and leaves colour out under NO_COLOR', async () => {
    cli.reply = () => ({
      status: 200,
      body: { jobs: [jobFixture({ id: 'j1', status: 'failed', exitCode: 1 })] },
    });
    // script(1) gives the CLI a terminal for its stdout.
    const onTerminal = async (extra: Record<string, string>) => {
      const cmd = `${process.execPath} ${join(ROOT, 'bin/runlater.mjs')} jobs list`;
      const { stdout } = await sh('script', ['-qec', cmd, '/dev/null'], {
        env: { PATH: process.env.PATH!, ...cli.env, TERM: 'xterm', ...extra },
      });
      return stdout;
    };
    const coloured = await onTerminal({});
    assert.match(coloured, /^ID\s+WORKER\s+STATUS/);
    assert.ok(coloured.includes(`${ESC}[31mfailed${ESC}[0m`), coloured);
    const plain = await onTerminal({ NO_COLOR: '1' });
    assert.match(plain, /^ID\s+WORKER\s+STATUS/);
    assert.ok(!plain.includes(ESC), plain);
  });
});
