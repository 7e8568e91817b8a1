import type { OutputMessage } from '../local/OutputWriter.ts';

/**
 * Splits the multiplexed stream of the Docker logs API (no TTY), chunk by chunk as it arrives,
 * into messages. Each frame is [stream (1 stdout, 2 stderr), 0, 0, 0, size (uint32 BE)] + payload,
 * and with timestamps on, every payload is "<RFC 3339 nano> <raw bytes>": one message of the log
 * driver, a line with its newline or a part of a long line without. With the `local` log driver
 * the bytes are exact.
 */
export class DockerLogDemuxer {
  private pending: Buffer = Buffer.alloc(0);
  private lastSecond = '';
  private lastSecondMs = 0;

  /** The whole messages completed by `chunk`; a frame cut by the chunk's end waits for the next. */
  push(chunk: Buffer): OutputMessage[] {
    const buffer = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const messages: OutputMessage[] = [];
    let offset = 0;
    while (offset + 8 <= buffer.length) {
      const size = buffer.readUInt32BE(offset + 4);
      if (offset + 8 + size > buffer.length) break;
      const streamType = buffer[offset]!;
      const payload = buffer.subarray(offset + 8, offset + 8 + size);
      offset += 8 + size;
      if (streamType !== 1 && streamType !== 2) continue;
      const space = payload.indexOf(0x20);
      if (space < 0) continue;
      messages.push({
        stream: streamType === 1 ? 'stdout' : 'stderr',
        timeMs: this.parseTime(payload.toString('latin1', 0, space)),
        // Copied: the chunk it came from is not kept alive by every message cut from it.
        bytes: Buffer.from(payload.subarray(space + 1)),
      });
    }
    // Copied for the same reason; a frame is at most one message (16 KiB) and its header.
    this.pending = Buffer.from(buffer.subarray(offset));
    return messages;
  }

  /** Milliseconds of "2026-11-26T03:45:00.746420230Z"; the date part is parsed once a second. */
  private parseTime(stamp: string): number {
    const second = stamp.slice(0, 19);
    if (second !== this.lastSecond) {
      const ms = Date.parse(`${second}Z`);
      if (Number.isNaN(ms)) return Math.max(0, Date.parse(stamp) || 0);
      this.lastSecond = second;
      this.lastSecondMs = ms;
    }
    const fraction = /^\.(\d{1,3})/.exec(stamp.slice(19));
    return this.lastSecondMs + (fraction ? Number(fraction[1]!.padEnd(3, '0')) : 0);
  }
}
