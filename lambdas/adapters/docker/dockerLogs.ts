import type { LogLine } from '../../core/schemas.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Splits the multiplexed output of the Docker logs API (no TTY) into log lines. Each frame is
 * [stream (1 stdout, 2 stderr), 0, 0, 0, size (uint32 BE)] + payload, and with timestamps on,
 * every payload is "<RFC 3339 nano> <raw bytes>": one message of the log driver, a line with its
 * newline or a part of a long line without. With the `local` log driver the bytes are exact.
 */
export function demuxDockerLogs(buffer: Buffer): LogLine[] {
  const lines: LogLine[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const streamType = buffer[offset]!;
    const size = buffer.readUInt32BE(offset + 4);
    const payload = buffer.subarray(offset + 8, offset + 8 + size);
    offset += 8 + size;
    if (streamType !== 1 && streamType !== 2) continue;
    const space = payload.indexOf(0x20);
    if (space < 0) continue;
    const stamp = payload.subarray(0, space).toString('latin1');
    const time = new Date(stamp);
    const timestamp = Number.isNaN(time.getTime()) ? stamp : time.toISOString();
    lines.push(toLogLine(streamType === 1 ? 'stdout' : 'stderr', timestamp, payload.subarray(space + 1)));
  }
  return lines;
}

/** A chunk of output as a LogLine: text when it is UTF-8, base64 when not; `partial` without a newline. */
export function toLogLine(stream: 'stdout' | 'stderr', timestamp: string, chunk: Buffer): LogLine {
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
