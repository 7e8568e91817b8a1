import {
  lineBytes,
  type Job,
  type LogLine,
  type Worker,
  type WorkerStats,
} from '../../client/RunlaterClient.ts';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A plain table: columns padded to their widest cell, `-` for nothing. */
export function printTable(headers: string[], rows: (string | number | null | undefined)[][]): void {
  const cells = [
    headers,
    ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c)))),
  ];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  for (const row of cells) {
    process.stdout.write(
      `${row
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd()}\n`,
    );
  }
}

function printFields(fields: [string, unknown][]): void {
  const width = Math.max(...fields.map(([k]) => k.length));
  for (const [k, v] of fields) process.stdout.write(`${k.padEnd(width)}  ${v ?? '-'}\n`);
}

function envText(env: Record<string, string>): string | undefined {
  const pairs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  return pairs.length ? pairs.join(' ') : undefined;
}

export function printJobs(jobs: Job[]): void {
  printTable(
    ['ID', 'WORKER', 'STATUS', 'ATTEMPT', 'EXIT', 'CREATED'],
    jobs.map((j) => [j.id, j.worker, j.status, j.attempt, j.exitCode, j.createdAt]),
  );
}

export function printJob(job: Job): void {
  printFields([
    ['id', job.id],
    ['worker', job.worker],
    ['status', job.status + (job.cancelRequested && job.status !== 'cancelled' ? ' (cancel requested)' : '')],
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
  ]);
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

/** Writes a log line's exact bytes to the stream it came from, waiting when the reader is slow. */
export async function writeLine(line: LogLine): Promise<void> {
  const out = line.stream === 'stderr' ? process.stderr : process.stdout;
  if (!out.write(lineBytes(line))) await new Promise((resolve) => out.once('drain', resolve));
}
