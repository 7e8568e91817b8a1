import type { LogLine } from '../lambdas/core/schemas.ts';
import type { JobStatus } from '../lambdas/core/jobStatus.ts';

export type LogStream = 'stdout' | 'stderr' | 'all';

// Kept here rather than imported from lambdas/core so that the client pulls in no server code.
const FINAL: readonly string[] = ['succeeded', 'failed', 'timed_out', 'cancelled'] satisfies JobStatus[];

/** Whether a job in this status will change no more. */
export function isFinalStatus(status: string): boolean {
  return FINAL.includes(status);
}

/**
 * The exact bytes a log line stands for: its text (UTF-8) or its base64 (when not valid UTF-8),
 * plus the newline it ended with unless it was partial.
 */
export function lineBytes(line: LogLine): Buffer {
  const body =
    line.base64 !== undefined ? Buffer.from(line.base64, 'base64') : Buffer.from(line.text ?? '', 'utf8');
  return line.partial ? body : Buffer.concat([body, NEWLINE]);
}
const NEWLINE = Buffer.from('\n');

/** Resolves after `ms`, or at once when `signal` aborts (callers check `signal.aborted`). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
