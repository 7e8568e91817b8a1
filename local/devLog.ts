import type { JobTransitionEvent } from '../lambdas/core/ports.ts';

export type LogFormat = 'text' | 'json';

/** What a request or a job transition looks like in the dev server's log. */
export interface DevLog {
  request(entry: { method: string; path: string; status: number; durationMs: number }): void;
  transition(event: JobTransitionEvent): void;
}

/**
 * One line per event on the dev server's output: `text` for a person at a terminal, `json` (one
 * object a line) for `jq` or a log shipper. Without a format it logs nothing (tests, embedding).
 *
 * @example
 * const log = makeDevLog('json'); // {"time":"…","event":"request","method":"GET",…}
 */
export function makeDevLog(
  format: LogFormat | undefined,
  write: (line: string) => void = (line) => process.stdout.write(line),
): DevLog {
  if (!format) return { request: () => undefined, transition: () => undefined };
  const emit = (event: string, fields: Record<string, unknown>, text: string) => {
    const time = new Date().toISOString();
    write(format === 'json' ? `${JSON.stringify({ time, event, ...fields })}\n` : `${time} ${text}\n`);
  };
  return {
    request: ({ method, path, status, durationMs }) =>
      emit('request', { method, path, status, durationMs }, `${method} ${path} ${status} ${durationMs}ms`),
    transition: ({ transition, from, job }) => {
      // A new job comes from nowhere (the observer says `queued` for both sides).
      const before = transition === 'create' ? null : from;
      const details = {
        ...(job.exitCode !== null && job.exitCode !== undefined ? { exitCode: job.exitCode } : {}),
        ...(job.error ? { error: job.error } : {}),
        ...(job.waitingReason ? { waitingReason: job.waitingReason } : {}),
      };
      const extra = Object.entries(details)
        .map(([k, v]) => ` ${k}=${typeof v === 'string' ? JSON.stringify(v) : v}`)
        .join('');
      emit(
        'job',
        {
          transition,
          jobId: job.id,
          worker: job.worker,
          attempt: job.attempt,
          from: before,
          to: job.status,
          ...details,
        },
        `job ${job.id} ${job.worker} attempt ${job.attempt}: ${transition} ${before ?? 'new'} → ${job.status}${extra}`,
      );
    },
  };
}
