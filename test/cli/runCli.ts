import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach } from 'node:test';
import { fakeApi, type Recorded, type Reply } from '../support/fakeApi.ts';
import { ensureTestImages } from '../support/images.ts';
import { startTestServer, type TestServer } from '../support/testServer.ts';

export const ROOT = new URL('../..', import.meta.url).pathname;

export interface Run {
  code: number | null;
  stdout: Buffer;
  stderr: Buffer;
}

/** `runlater ARGS` as a user runs it: a child process with only the env given (and PATH). */
export function runlater(
  args: string[],
  env: Record<string, string>,
  options: { input?: Buffer; bin?: string } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [options.bin ?? join(ROOT, 'bin/runlater.mjs'), ...args], {
      cwd: env.CWD ?? ROOT,
      env: { PATH: process.env.PATH!, ...env },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err) });
    });
    child.stdin.end(options.input ?? Buffer.alloc(0));
  });
}

/** A run's output as text (most tests read the CLI's output as strings). */
export interface TextRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * A dev server (test/support/testServer.ts) with a config home of its own, so no saved login
 * leaks in, and `run` to call the CLI against it; `close` stops both.
 */
export async function cliAgainstDevServer(): Promise<{
  server: TestServer;
  /** The CLI's config home (a fresh directory, removed by close). */
  home: string;
  env: Record<string, string>;
  run(args: string[], input?: Buffer | string): Promise<TextRun>;
  close(): Promise<void>;
}> {
  await ensureTestImages();
  const server = await startTestServer();
  const home = await mkdtemp(join(tmpdir(), 'runlater-cli-home-'));
  const env = { HOME: home, RUNLATER_URL: server.url, RUNLATER_TOKEN: server.token };
  return {
    server,
    home,
    env,
    run: async (args, input) => {
      const r = await runlater(args, env, { input: Buffer.from(input ?? '') });
      return { code: r.code, stdout: String(r.stdout), stderr: String(r.stderr) };
    },
    close: async () => {
      await server.stop();
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** A fake API (test/support/fakeApi.ts) for the CLI, with a config home of its own. */
export interface CliAgainstFakeApi {
  api: Awaited<ReturnType<typeof fakeApi>>;
  /** What the API answers; set back to the default before each test. */
  reply: (req: Recorded) => Reply;
  /** The CLI's config home (a fresh directory, removed after the tests). */
  home: string;
  /** The env that points the CLI at the API with `token`. */
  env: Record<string, string>;
}

/**
 * Registers, in the calling `describe`, a fake API started before its tests, its recorded
 * requests cleared and `reply` set back to `defaultReply` before each test, closed after them.
 * @example const cli = cliAgainstFakeApi('tok', () => ({ status: 200, body: { jobs: [] } }));
 */
export function cliAgainstFakeApi(token: string, defaultReply: (req: Recorded) => Reply): CliAgainstFakeApi {
  const cli = { reply: defaultReply } as CliAgainstFakeApi;
  before(async () => {
    cli.api = await fakeApi((req) => cli.reply(req));
    cli.home = await mkdtemp(join(tmpdir(), 'runlater-cli-fake-'));
    cli.env = { HOME: cli.home, RUNLATER_URL: cli.api.url, RUNLATER_TOKEN: token };
  });
  beforeEach(() => {
    cli.api.requests.length = 0;
    cli.reply = defaultReply;
  });
  after(async () => {
    await cli.api.close();
    await rm(cli.home, { recursive: true, force: true });
  });
  return cli;
}
