import { open, readFile, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ValidationError } from '../../core/errors.ts';
import type { LogQuery, LogReader } from '../../core/ports.ts';
import type { LogLine } from '../../core/schemas.ts';
import {
  FILES,
  outputDirFor,
  readBytes,
  readRecords,
  recordCount,
  type OutputRecord,
  type StreamName,
} from './outputFormat.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Removes what the Docker runner keeps of a finished task: its output (and the single file earlier
 * versions kept it in), and the record of how it ended (TaskFiles writes `ended/<taskId>.json`).
 */
export async function removeTaskOutput(dataDir: string, taskId: string): Promise<void> {
  const output = outputDirFor(dataDir, taskId);
  await rm(output, { recursive: true, force: true });
  await rm(`${output}.jsonl`, { force: true });
  await rm(join(dataDir, 'ended', `${taskId}.json`), { force: true });
}

/**
 * Job output on one machine, read from the files the Docker runner appends to as the task runs
 * (outputFormat.ts), whether it still runs or has ended. The cursor is the number of messages of
 * both streams before the next line, so it holds across the end of a task and for either stream;
 * a page costs a seek and reads of the page alone.
 */
export class LocalLogReader implements LogReader {
  constructor(private readonly options: { dataDir: string }) {}

  async deleteOutput(task: { taskId: string }): Promise<void> {
    await removeTaskOutput(this.options.dataDir, task.taskId);
  }

  async read(query: LogQuery): Promise<{ lines: LogLine[]; nextCursor: string }> {
    const start = parseCursor(query.cursor);
    const dir = outputDirFor(this.options.dataDir, query.taskId);
    const index = await open(join(dir, FILES.index), 'r').catch(ifMissing(undefined));
    if (!index) return readLegacy(this.options.dataDir, query, start);
    const handles: FileHandle[] = [index];
    try {
      // Counted first: records of the stream indexes below it are whole, with their bytes.
      const total = await recordCount(index);
      let records: OutputRecord[];
      let next: number;
      if (query.stream === 'all') {
        records = await readRecords(index, start, Math.min(query.limit, total - start));
        next = start + records.length;
      } else {
        const file = await open(join(dir, FILES.streamIndex(query.stream)), 'r');
        handles.push(file);
        const from = await firstAtOrAfter(file, start);
        records = (await readRecords(file, from, query.limit)).filter((r) => r.seq < total);
        // A short page has read every line of the stream below `total`.
        next = records.length === query.limit ? records.at(-1)!.seq + 1 : total;
      }
      const lines = await this.linesOf(dir, records, handles);
      return { lines, nextCursor: String(Math.max(next, start)) };
    } finally {
      await Promise.allSettled(handles.map((h) => h.close()));
    }
  }

  /** The records' bytes, read in one range per stream (a stream's records are contiguous there). */
  private async linesOf(dir: string, records: OutputRecord[], handles: FileHandle[]): Promise<LogLine[]> {
    const bytes: Partial<Record<StreamName, { start: number; buffer: Buffer }>> = {};
    for (const stream of ['stdout', 'stderr'] as const) {
      const mine = records.filter((r) => r.stream === stream);
      if (mine.length === 0) continue;
      const file = await open(join(dir, FILES.data(stream)), 'r');
      handles.push(file);
      const start = mine[0]!.end - mine[0]!.length;
      bytes[stream] = { start, buffer: await readBytes(file, start, mine.at(-1)!.end) };
    }
    return records.map((r) => {
      const { start, buffer } = bytes[r.stream]!;
      const at = r.end - r.length - start;
      return toLogLine(r.stream, new Date(r.timeMs).toISOString(), buffer.subarray(at, at + r.length));
    });
  }
}

/** The position of the first record with seq >= `seq` in a stream index (seqs only grow there). */
async function firstAtOrAfter(file: FileHandle, seq: number): Promise<number> {
  let low = 0;
  let high = await recordCount(file);
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    const [record] = await readRecords(file, mid, 1);
    if (record!.seq < seq) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** A message as a LogLine: text when it is UTF-8, base64 when not; `partial` without a newline. */
export function toLogLine(stream: StreamName, timestamp: string, chunk: Buffer): LogLine {
  const complete = chunk.length > 0 && chunk[chunk.length - 1] === 0x0a;
  const bytes = complete ? chunk.subarray(0, chunk.length - 1) : chunk;
  const line: LogLine = { stream, timestamp };
  try {
    line.text = utf8.decode(bytes);
  } catch {
    line.base64 = bytes.toString('base64');
  }
  if (!complete) line.partial = true;
  return line;
}

function parseCursor(cursor: string | undefined): number {
  if (cursor === undefined || cursor === '') return 0;
  if (!/^\d{1,15}$/.test(cursor)) throw new ValidationError('cursor is not one this API gave out', 'cursor');
  return Number(cursor);
}

/**
 * Output saved by earlier versions: one JSON LogLine a line in `logs/<taskId>.jsonl`, written once
 * the task had ended. Read whole, as those versions did; the cursor means the same.
 */
async function readLegacy(
  dataDir: string,
  query: LogQuery,
  start: number,
): Promise<{ lines: LogLine[]; nextCursor: string }> {
  const text = await readFile(`${outputDirFor(dataDir, query.taskId)}.jsonl`, 'utf8').catch(ifMissing(''));
  const all = text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as LogLine);
  const lines: LogLine[] = [];
  let next = start;
  for (let i = start; i < all.length && lines.length < query.limit; i++) {
    next = i + 1;
    if (query.stream === 'all' || all[i]!.stream === query.stream) lines.push(all[i]!);
  }
  return { lines, nextCursor: String(next) };
}

function ifMissing<T>(value: T): (err: NodeJS.ErrnoException) => T {
  return (err) => {
    if (err.code === 'ENOENT') return value;
    throw err;
  };
}
