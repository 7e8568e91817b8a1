import type { Job, Worker } from '../../client/RunlaterClient.ts';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A plain table: columns padded to their widest cell. */
export function printTable(headers: string[], rows: (string | number | null | undefined)[][]): void {
  const cells = [
    headers,
    ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c)))),
  ];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  for (const row of cells)
    process.stdout.write(
      `${row
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd()}\n`,
    );
}

export function printJobs(jobs: Job[]): void {
  printTable(
    ['ID', 'WORKER', 'STATUS', 'ATTEMPT', 'EXIT', 'CREATED'],
    jobs.map((j) => [j.id, j.worker, j.status, j.attempt, j.exitCode, j.createdAt]),
  );
}

export function printJob(job: Job): void {
  const rows: [string, unknown][] = [
    ['id', job.id],
    ['worker', job.worker],
    ['status', job.status],
    ['attempt', `${job.attempt} of ${job.maxAttempts}`],
    ['exit code', job.exitCode],
    ['error', job.error],
    ['created', job.createdAt],
    ['run at', job.runAt],
    ['started', job.startedAt],
    ['finished', job.finishedAt],
  ];
  for (const [k, v] of rows) process.stdout.write(`${k.padEnd(10)} ${v ?? '-'}\n`);
}

export function printWorkers(workers: Worker[]): void {
  printTable(
    ['NAME', 'IMAGE', 'COMMAND', 'CPU', 'MEMORY', 'TIMEOUT'],
    workers.map((w) => [w.name, w.image, w.command?.join(' '), w.cpu, w.memory, w.timeoutSeconds]),
  );
}
