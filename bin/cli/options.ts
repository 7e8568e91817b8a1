import { readFile } from 'node:fs/promises';
import { InvalidArgumentError } from 'commander';
import type { RetryPolicyInput, RunlaterClient } from '../../client/RunlaterClient.ts';

/** Every verb gets its client through this, so the connection is resolved only when it is used. */
export type Connect = () => Promise<RunlaterClient>;

/** A mistake in the command line found after parsing: exit 2 like commander's own. */
export class UsageError extends Error {}

/** The options every verb can read from the program. */
export interface GlobalOpts {
  url?: string;
  token?: string;
  profile?: string;
}

/** `--env NAME=VALUE`, repeatable: collects into a record, refusing anything without a name and `=`. */
export function collectEnv(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`expected NAME=VALUE, got "${value}"`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A repeatable option limited to `choices` (commander's .choices() drops the repetition). */
export function collectChoice(choices: readonly string[]) {
  return (value: string, previous: string[] = []): string[] => {
    if (!choices.includes(value)) throw new InvalidArgumentError(`expected one of ${choices.join(', ')}`);
    return [...previous, value];
  };
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1)
    throw new InvalidArgumentError(`expected a whole number ≥ 1, got "${value}"`);
  return n;
}

/** A whole number that may be negative (a priority). */
export function integer(value: string): number {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError(`expected a whole number, got "${value}"`);
  return Number(value);
}

/** `--max-concurrency N`, or `none` to lift the limit. */
export function limitOrNone(value: string): number | 'none' {
  return value === 'none' ? 'none' : positiveInt(value);
}

export function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`expected a whole number, got "${value}"`);
  return Number(value);
}

/** Any time Date understands (an offset-less one is local time), sent as UTC ISO 8601. */
export function isoTime(value: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new InvalidArgumentError(`expected an ISO 8601 time like 2030-01-31T09:00:00Z`);
  return new Date(ms).toISOString();
}

type Backoff = NonNullable<RetryPolicyInput['backoff']>;
const NAMED_BACKOFFS = ['none', '1m', '10m', '1h'] as const;

/** `--backoff none|1m|10m|1h` (as in choria asyncjobs) or comma-separated seconds. */
export function backoff(value: string): Backoff {
  const named = NAMED_BACKOFFS.find((b) => b === value);
  if (named) return named;
  const steps = value.split(',').map((s) => s.trim());
  if (!steps.every((s) => /^\d+$/.test(s)))
    throw new InvalidArgumentError('expected none, 1m, 10m, 1h or seconds like 10,60,300');
  return steps.map(Number);
}

/** The retry policy from CLI options, or undefined when none was given. */
export function retryFrom(opts: { maxAttempts?: number; backoff?: Backoff }): RetryPolicyInput | undefined {
  if (opts.maxAttempts === undefined && opts.backoff === undefined) return undefined;
  return {
    ...(opts.maxAttempts !== undefined ? { maxAttempts: opts.maxAttempts } : {}),
    ...(opts.backoff !== undefined ? { backoff: opts.backoff } : {}),
  };
}

/** Reads stdin bytes from a file, or from this process's standard input for `-`. */
export async function readStdinArg(path: string): Promise<Buffer> {
  if (path !== '-') {
    return readFile(path).catch((err: NodeJS.ErrnoException) => {
      throw new UsageError(`--stdin ${path}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
    });
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
