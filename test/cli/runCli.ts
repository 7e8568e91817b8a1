import { spawn } from 'node:child_process';
import { join } from 'node:path';

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
