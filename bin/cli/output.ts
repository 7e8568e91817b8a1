import { createRequire } from 'node:module';
import { Option } from 'commander';
import {
  lineBytes,
  type Job,
  type LogLine,
  type Worker,
  type WorkerStats,
} from '../../client/RunlaterClient.ts';
import { phaseFields } from './phases.ts';

export const FORMATS = ['table', 'json', 'yaml'] as const;
export type Format = (typeof FORMATS)[number];

/** `-o, --output`: every verb has it. JSON and YAML are the API's answer as it came. */
export const outputOption = () =>
  new Option('-o, --output <format>', 'output format').choices(FORMATS).default('table');

/** Prints `value` as JSON or YAML, or calls `table` to print it for a person. */
export function emit(format: Format, value: unknown, table: () => void): void {
  if (format === 'json') process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  else if (format === 'yaml') process.stdout.write(toYaml(value));
  else table();
}

/**
 * The yaml package is loaded when YAML is asked for, not by every command: loading it costs about
 * 25 ms of CPU, a tenth of what `jobs run --wait` adds to the job itself.
 */
function toYaml(value: unknown): string {
  const yaml = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return yaml.stringify(value);
}

/** A terminal gets aligned columns with headers; a pipe or file gets tab-separated rows, no header. */
const toTerminal = () => Boolean(process.stdout.isTTY);

/** Colour only for a terminal, and never when NO_COLOR is set to anything (no-color.org). */
export function colorEnabled(env = process.env): boolean {
  return toTerminal() && !env.NO_COLOR && env.TERM !== 'dumb';
}

const STATUS_COLORS: Record<string, number> = {
  succeeded: 32, // green
  failed: 31, // red
  timed_out: 31,
  cancelled: 90, // grey
  running: 36, // cyan
  starting: 33, // yellow
  queued: 33,
};

function paintStatus(status: string): string {
  const code = STATUS_COLORS[status];
  return code && colorEnabled() ? `\x1b[${code}m${status}\x1b[0m` : status;
}

type Cell = string | number | null | undefined;

/** Rows under headers: padded columns on a terminal (`-` for nothing), tab-separated otherwise. */
export function printTable(headers: string[], rows: Cell[][], statusColumn = -1): void {
  const text = rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))));
  if (!toTerminal()) {
    for (const row of text) process.stdout.write(`${row.join('\t')}\n`);
    return;
  }
  const cells = [headers, ...text];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  cells.forEach((row, n) => {
    const line = row.map((c, i) => {
      const padded = c.padEnd(widths[i]!);
      // Pad before colouring: escape codes have no width on screen.
      return n > 0 && i === statusColumn ? padded.replace(c, paintStatus(c)) : padded;
    });
    process.stdout.write(`${line.join('  ').trimEnd()}\n`);
  });
}

function printFields(fields: [string, unknown][]): void {
  const width = Math.max(...fields.map(([k]) => k.length));
  const sep = toTerminal() ? (k: string) => `${k.padEnd(width)}  ` : (k: string) => `${k}\t`;
  for (const [k, v] of fields) {
    const value = k === 'status' && typeof v === 'string' ? paintStatus(v) : (v ?? '-');
    process.stdout.write(`${sep(k)}${value}\n`);
  }
}

function envText(env: Record<string, string>): string | undefined {
  const pairs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  return pairs.length ? pairs.join(' ') : undefined;
}

export function printJobs(jobs: Job[]): void {
  printTable(
    ['ID', 'WORKER', 'STATUS', 'ATTEMPT', 'EXIT', 'CREATED'],
    jobs.map((j) => [j.id, j.worker, j.status, j.attempt, j.exitCode, j.createdAt]),
    2,
  );
}

export function printJob(job: Job): void {
  const cancelling = job.cancelRequested && job.status !== 'cancelled';
  printFields([
    ['id', job.id],
    ['worker', job.worker],
    cancelling ? ['status', `${job.status} (cancel requested)`] : ['status', job.status],
    ['attempt', `${job.attempt} of ${job.maxAttempts}`],
    ['exit code', job.exitCode],
    ['error', job.error],
    ['waiting', job.waitingReason],
    ['priority', job.priority],
    ['created', job.createdAt],
    ['run at', job.runAt],
    ['started', job.startedAt],
    ['finished', job.finishedAt],
    ['timeout', `${job.timeoutSeconds}s`],
    ['stdin', `${job.stdinBytes} bytes`],
    ['env', envText(job.env)],
    ...phaseFields(job),
    ...(job.array ? [['array', arrayText(job.array)] as [string, unknown]] : []),
    ...(job.parent ? [['parent', `${job.parent} (index ${job.arrayIndex})`] as [string, unknown]] : []),
  ]);
}

/** `100 children: 97 succeeded, 2 running, 1 failed` (only the states some child is in). */
function arrayText(array: NonNullable<Job['array']>): string {
  const counts = Object.entries(array.counts ?? {}).filter(([, n]) => n > 0);
  const made = array.created < array.size ? ` (${array.created} made)` : '';
  return `${array.size} children${made}${counts.length ? ': ' : ''}${counts.map(([s, n]) => `${n} ${s}`).join(', ')}`;
}

export function printWorkers(workers: Worker[]): void {
  printTable(
    ['NAME', 'IMAGE', 'COMMAND', 'CPU', 'MEMORY', 'TIMEOUT', 'ATTEMPTS'],
    workers.map((w) => [
      w.name,
      w.image,
      w.command?.join(' '),
      w.cpu,
      w.memory,
      w.timeoutSeconds,
      w.retry.maxAttempts,
    ]),
  );
}

export function printWorker(w: Worker): void {
  printFields([
    ['name', w.name],
    ['image', w.image],
    ['command', w.command ? JSON.stringify(w.command) : undefined],
    ['env', envText(w.env)],
    ['cpu', w.cpu],
    ['memory', `${w.memory} MiB`],
    ['timeout', `${w.timeoutSeconds}s`],
    ['attempts', w.retry.maxAttempts],
    ['backoff', Array.isArray(w.retry.backoff) ? w.retry.backoff.join(',') : w.retry.backoff],
    ['task role', w.taskRoleArn],
    ['max concurrency', w.maxConcurrency],
    ['priority', w.priority],
    ['revision', w.revision],
    ['updated', w.updatedAt],
  ]);
}

export function printWorkerStats(s: WorkerStats): void {
  const finished = (c: WorkerStats['finished']['lastHour']) =>
    `${c.succeeded} succeeded, ${c.failed} failed, ${c.timed_out} timed out, ${c.cancelled} cancelled`;
  printFields([
    ['worker', s.worker],
    ['max concurrency', s.maxConcurrency ?? 'none'],
    ['queued', s.queued],
    ['waiting: concurrency', s.waitingOnConcurrency],
    ['starting', s.starting],
    ['running', s.running],
    ['slots in use', s.slotsInUse],
    ['finished, last hour', finished(s.finished.lastHour)],
    ['finished, last day', finished(s.finished.lastDay)],
  ]);
}

/** One line of text for a person (nothing with -o json|yaml, where only the answer is printed). */
export function say(format: Format, text: string): void {
  if (format === 'table') process.stdout.write(`${text}\n`);
}

/** Writes a log line's exact bytes to the stream it came from, waiting when the reader is slow. */
export async function writeLine(line: LogLine): Promise<void> {
  const out = line.stream === 'stderr' ? process.stderr : process.stdout;
  if (!out.write(lineBytes(line))) await new Promise((resolve) => out.once('drain', resolve));
}

/** Examples at the end of a verb's --help. */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}
