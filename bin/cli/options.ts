import { readFile } from 'node:fs/promises';
import { InvalidArgumentError } from 'commander';

/** `--env K=V`, repeatable: collects into a record, refusing anything without a name and `=`. */
export function collectEnv(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`expected NAME=VALUE, got "${value}"`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError(`expected a whole number, got "${value}"`);
  return n;
}

/** `--backoff none|1m|10m|1h` or a comma-separated list of seconds. */
export function backoff(value: string): string | number[] {
  if (['none', '1m', '10m', '1h'].includes(value)) return value;
  const steps = value.split(',').map((s) => Number(s.trim()));
  if (steps.some((n) => !Number.isInteger(n) || n < 0))
    throw new InvalidArgumentError('expected none, 1m, 10m, 1h or seconds like 10,60,300');
  return steps;
}

/** Reads stdin bytes from a file, or from standard input for `-`. */
export async function readStdinArg(path: string): Promise<Buffer> {
  if (path !== '-') return readFile(path);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The retry policy from CLI options, or undefined when none was given. */
export function retryFrom(opts: {
  maxAttempts?: number;
  backoff?: string | number[];
}): Record<string, unknown> | undefined {
  if (opts.maxAttempts === undefined && opts.backoff === undefined) return undefined;
  return {
    ...(opts.maxAttempts !== undefined ? { maxAttempts: opts.maxAttempts } : {}),
    ...(opts.backoff !== undefined ? { backoff: opts.backoff } : {}),
  };
}
