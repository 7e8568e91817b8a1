import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import {
  encodeRecord,
  FILES,
  readRecords,
  RECORD_BYTES,
  recordCount,
  type OutputRecord,
  type StreamName,
} from './outputFormat.ts';

/** One message of a task's output, as its log driver cut it: a line with its newline, or a part. */
export interface OutputMessage {
  stream: StreamName;
  timeMs: number;
  bytes: Buffer;
}

const STREAMS: StreamName[] = ['stdout', 'stderr'];
/** Clock steps and the skew between the two streams' timestamps stay well inside this. */
const SKEW_MS = 5000;

/**
 * Appends a task's output to its files (see outputFormat.ts). Opening it repairs what a crash
 * left: a torn record, data past the last record, stream records past the last of `index`.
 * One writer per task at a time (the launcher sees to it); readers may read meanwhile.
 */
export class OutputWriter {
  private constructor(
    private readonly index: FileHandle,
    private readonly streamIndex: Record<StreamName, FileHandle>,
    private readonly data: Record<StreamName, FileHandle>,
    private count: number,
    private readonly ends: Record<StreamName, number>,
  ) {}

  static async open(dir: string): Promise<OutputWriter> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const handles: FileHandle[] = [];
    const openFile = async (name: string) => {
      const handle = await open(join(dir, name), 'a+', 0o600);
      handles.push(handle);
      return handle;
    };
    try {
      const data = {
        stdout: await openFile(FILES.data('stdout')),
        stderr: await openFile(FILES.data('stderr')),
      };
      const streamIndex = {
        stdout: await openFile(FILES.streamIndex('stdout')),
        stderr: await openFile(FILES.streamIndex('stderr')),
      };
      // Made last: a reader that finds `index` finds the other files too.
      const index = await openFile(FILES.index);
      const count = await recordCount(index);
      await index.truncate(count * RECORD_BYTES);
      const ends = { stdout: 0, stderr: 0 };
      for (const s of STREAMS) {
        // Records written for messages that never reached `index` are as good as never written.
        let n = await recordCount(streamIndex[s]);
        let last = (await readRecords(streamIndex[s], n - 1, 1))[0];
        while (last && last.seq >= count) {
          n -= 1;
          last = (await readRecords(streamIndex[s], n - 1, 1))[0];
        }
        await streamIndex[s].truncate(n * RECORD_BYTES);
        ends[s] = last?.end ?? 0;
        await data[s].truncate(ends[s]);
      }
      return new OutputWriter(index, streamIndex, data, count, ends);
    } catch (err) {
      await Promise.allSettled(handles.map((h) => h.close()));
      throw err;
    }
  }

  /** How many messages are kept. */
  get messages(): number {
    return this.count;
  }

  /**
   * Where to take up the log again without loss or duplication: ask the log driver for messages
   * from the whole second `sinceSeconds` on, and drop the first `skip` of them (kept already).
   * Both sides filter the same sequence by the same timestamps, so the count is exact.
   */
  async resumePoint(): Promise<{ sinceSeconds: number; skip: number } | undefined> {
    if (this.count === 0) return undefined;
    const CHUNK = 4096;
    let latest = 0;
    const tail: OutputRecord[] = [];
    // Walk back from the end until the timestamps are well before the last one.
    for (let to = this.count; to > 0; to -= CHUNK) {
      const from = Math.max(0, to - CHUNK);
      const records = await readRecords(this.index, from, to - from);
      if (latest === 0) latest = Math.max(...records.slice(-64).map((r) => r.timeMs));
      tail.push(...records);
      if (records[0]!.timeMs < latest - 1000 - SKEW_MS) break;
    }
    const sinceSeconds = Math.floor(latest / 1000);
    const skip = tail.filter((r) => Math.floor(r.timeMs / 1000) >= sinceSeconds).length;
    return { sinceSeconds, skip };
  }

  /** Appends messages, in the order they were logged. */
  async append(messages: OutputMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const chunks: Record<StreamName, Buffer[]> = { stdout: [], stderr: [] };
    const counts: Record<StreamName, number> = { stdout: 0, stderr: 0 };
    for (const m of messages) counts[m.stream] += 1;
    const streamRecords = {
      stdout: Buffer.alloc(counts.stdout * RECORD_BYTES),
      stderr: Buffer.alloc(counts.stderr * RECORD_BYTES),
    };
    const records = Buffer.alloc(messages.length * RECORD_BYTES);
    const at = { stdout: 0, stderr: 0 };
    messages.forEach((m, i) => {
      this.ends[m.stream] += m.bytes.length;
      chunks[m.stream].push(m.bytes);
      const record = {
        seq: this.count + i,
        stream: m.stream,
        end: this.ends[m.stream],
        length: m.bytes.length,
        timeMs: m.timeMs,
      };
      encodeRecord(record, streamRecords[m.stream], at[m.stream]++ * RECORD_BYTES);
      encodeRecord(record, records, i * RECORD_BYTES);
    });
    // Data, then the streams' records, then `index`: see outputFormat.ts for why this order.
    await Promise.all(STREAMS.map((s) => chunks[s].length && writeAll(this.data[s], chunks[s])));
    await Promise.all(STREAMS.map((s) => counts[s] && writeAll(this.streamIndex[s], [streamRecords[s]])));
    await writeAll(this.index, [records]);
    this.count += messages.length;
  }

  async close(): Promise<void> {
    await Promise.allSettled(
      [this.index, ...STREAMS.map((s) => this.streamIndex[s]), ...STREAMS.map((s) => this.data[s])].map((h) =>
        h.close(),
      ),
    );
  }
}

/** writev until every byte is written (a write may be short). The files are opened for appending. */
async function writeAll(file: FileHandle, buffers: Buffer[]): Promise<void> {
  let pending = buffers;
  while (pending.length > 0) {
    // Linux takes at most 1024 buffers in one writev.
    const batch = pending.slice(0, 1024);
    let { bytesWritten } = await file.writev(batch);
    let i = 0;
    while (i < batch.length && bytesWritten >= batch[i]!.length) bytesWritten -= batch[i++]!.length;
    const rest = i < batch.length ? [batch[i]!.subarray(bytesWritten), ...batch.slice(i + 1)] : [];
    pending = [...rest, ...pending.slice(batch.length)];
  }
}
