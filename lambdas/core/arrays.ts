import { ValidationError } from './errors.ts';
import { LIMITS } from './limits.ts';
import { FINAL_STATUSES, JOB_STATUSES, JobStatus, type FinalStatus } from './jobStatus.ts';

/**
 * Job arrays, the pure part: how a parent's stdin is cut into its children's, what a child is
 * called and sees, and how the children's states add up to the parent's. ArrayFanOut does the I/O.
 */

/** Children one array may have. */
export const MAX_ARRAY_SIZE = LIMITS.maxArraySize;

/** How many children there are in each state. */
export type ChildCounts = Record<JobStatus, number>;

export function emptyCounts(): ChildCounts {
  return Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as ChildCounts;
}

/**
 * A child's id: its parent's and its index, `<parent>-<index>`. Stable, so a crash half way
 * through making a chunk of children makes the same ids again (and the store refuses doubles).
 */
export function childId(parentId: string, index: number): string {
  return `${parentId}-${index}`;
}

/** What every attempt of child `index` of an array of `size` sees, beside RUNLATER_JOB_ID. */
export function arrayEnv(index: number, size: number): Record<string, string> {
  return { RUNLATER_ARRAY_INDEX: String(index), RUNLATER_ARRAY_SIZE: String(size) };
}

const NEWLINE = 0x0a;

/**
 * Cuts stdin into lines for `array: {split: "lines"}`. A line ends after each `\n` and keeps it
 * (and a `\r` before it: bytes are never changed), and the bytes after the last `\n`, if any, are
 * a last line without one. So `a\nb\n` and `a\nb` are two lines, `a\n\n` is two (the second one
 * empty but for its `\n`), empty stdin is none, and the children's stdins, in index order, put
 * together are the parent's stdin exactly.
 */
export function splitLines(bytes: Uint8Array): Buffer[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lines: Buffer[] = [];
  let start = 0;
  while (start < buf.length) {
    const end = buf.indexOf(NEWLINE, start);
    const stop = end === -1 ? buf.length : end + 1;
    lines.push(buf.subarray(start, stop));
    start = stop;
  }
  return lines;
}

/** The number of lines splitLines would make, without making them. */
export function countLines(bytes: Uint8Array): number {
  let count = 0;
  for (const b of bytes) if (b === NEWLINE) count++;
  return bytes.length > 0 && bytes[bytes.length - 1] !== NEWLINE ? count + 1 : count;
}

/** The array part of a create request, as the schema lets it through. */
export interface ArrayRequest {
  size?: number | undefined;
  split?: 'lines' | undefined;
}

/**
 * How many children an array request makes: `size`, or the number of stdin's lines with
 * `split: "lines"`. Throws ValidationError naming the field for what no array can be.
 */
export function arraySize(array: ArrayRequest, stdin: Uint8Array, hasStdin: boolean): number {
  if (array.split === undefined) return array.size!;
  if (!hasStdin)
    throw new ValidationError('array.split "lines" splits the stdin: give stdin or stdinBase64', 'stdin');
  const lines = countLines(stdin);
  if (lines === 0)
    throw new ValidationError('stdin is empty: array.split "lines" needs one line at least', 'stdin');
  if (lines > MAX_ARRAY_SIZE)
    throw new ValidationError(
      `stdin has ${lines} lines; an array has at most ${MAX_ARRAY_SIZE} children`,
      'stdin',
    );
  return lines;
}

/**
 * The parent's final state once none of its children is left to run (all made, none queued,
 * starting or running), or undefined while one is: `cancelled` when the parent was cancelled,
 * else `failed` when any child failed or timed out, else `cancelled` when any was cancelled (one
 * by one), else `succeeded`. A child that was deleted meanwhile counts for nothing.
 */
export function parentOutcome(
  counts: ChildCounts,
  made: number,
  size: number,
  cancelRequested: boolean,
): { status: FinalStatus; error: string | null } | undefined {
  const unfinished = counts.queued + counts.starting + counts.running;
  if (unfinished > 0 || (made < size && !cancelRequested)) return undefined;
  const bad = counts.failed + counts.timed_out;
  const summary = FINAL_STATUSES.filter((s) => counts[s] > 0)
    .map((s) => `${counts[s]} ${s}`)
    .join(', ');
  if (cancelRequested)
    return { status: JobStatus.Cancelled, error: `cancelled; children: ${summary || 'none made'}` };
  if (bad > 0)
    return { status: JobStatus.Failed, error: `${bad} of ${size} children failed or timed out (${summary})` };
  if (counts.cancelled > 0)
    return {
      status: JobStatus.Cancelled,
      error: `${counts.cancelled} of ${size} children were cancelled (${summary})`,
    };
  return { status: JobStatus.Succeeded, error: null };
}
