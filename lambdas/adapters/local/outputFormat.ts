import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * How one task's output is kept on one machine, in `logs/<taskId>/`, appended as it is produced:
 *
 * - `stdout`, `stderr`: each stream's bytes exactly as the program wrote them;
 * - `stdout.index`, `stderr.index`: one record per message of that stream (a line, or a part of a
 *   long line, as Docker's log driver cut it);
 * - `index`: one record per message of either stream, in the order Docker logged them.
 *
 * Records have a fixed size, so a page at any cursor costs a seek and a read of the page alone.
 * Writes go data first, then the stream's index, then `index` last: a record in `index` is whole
 * everywhere, so after a crash everything past the last record of `index` is cut off (see
 * OutputWriter) and nothing half-written is ever served.
 */
export const RECORD_BYTES = 24;

export type StreamName = 'stdout' | 'stderr';
export const STREAM_CODE: Record<StreamName, number> = { stdout: 1, stderr: 2 };

export interface OutputRecord {
  /** Its place among the messages of both streams, from 0: the cursor of the line after it is seq + 1. */
  seq: number;
  stream: StreamName;
  /** Where its bytes end in its stream's data file; they start at end - length. */
  end: number;
  length: number;
  timeMs: number;
}

// Layout: seq u48 | end u48 | timeMs u48 | length u32 | stream u8 | 0.
export function encodeRecord(r: OutputRecord, into: Buffer, at: number): void {
  into.writeUIntLE(r.seq, at, 6);
  into.writeUIntLE(r.end, at + 6, 6);
  into.writeUIntLE(r.timeMs, at + 12, 6);
  into.writeUInt32LE(r.length, at + 18);
  into[at + 22] = STREAM_CODE[r.stream];
  into[at + 23] = 0;
}

export function decodeRecord(from: Buffer, at: number): OutputRecord {
  return {
    seq: from.readUIntLE(at, 6),
    end: from.readUIntLE(at + 6, 6),
    timeMs: from.readUIntLE(at + 12, 6),
    length: from.readUInt32LE(at + 18),
    stream: from[at + 22] === STREAM_CODE.stderr ? 'stderr' : 'stdout',
  };
}

/** The directory of a task's output. Task ids are container names; anything else is kept out of the path. */
export function outputDirFor(dataDir: string, taskId: string): string {
  return join(dataDir, 'logs', taskId.replace(/[^A-Za-z0-9_.-]/g, '_'));
}

export const FILES = {
  index: 'index',
  streamIndex: (s: StreamName) => `${s}.index`,
  data: (s: StreamName) => s,
} as const;

/** Records [from, from + count) of an index file, clipped to what it holds. */
export async function readRecords(file: FileHandle, from: number, count: number): Promise<OutputRecord[]> {
  if (count <= 0 || from < 0) return [];
  const buffer = Buffer.alloc(count * RECORD_BYTES);
  const { bytesRead } = await file.read(buffer, 0, buffer.length, from * RECORD_BYTES);
  const records: OutputRecord[] = [];
  for (let at = 0; at + RECORD_BYTES <= bytesRead; at += RECORD_BYTES) records.push(decodeRecord(buffer, at));
  return records;
}

/** How many whole records an index file holds (a record being appended is not counted). */
export async function recordCount(file: FileHandle): Promise<number> {
  return Math.floor((await file.stat()).size / RECORD_BYTES);
}

/** Bytes [start, end) of a data file. */
export async function readBytes(file: FileHandle, start: number, end: number): Promise<Buffer> {
  const buffer = Buffer.alloc(Math.max(0, end - start));
  let done = 0;
  while (done < buffer.length) {
    const { bytesRead } = await file.read(buffer, done, buffer.length - done, start + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buffer.subarray(0, done);
}
