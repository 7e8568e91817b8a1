import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Docker from 'dockerode';
import type { LogQuery, LogReader } from '../../core/ports.ts';
import type { LogLine } from '../../core/schemas.ts';
import { demuxDockerLogs } from '../docker/dockerLogs.ts';

/** Where the Docker runner keeps a finished task's output: one JSON LogLine a line. */
export function logFileFor(dataDir: string, taskId: string): string {
  // Task ids are container names here; anything else a path could be made of is kept out.
  return join(dataDir, 'logs', `${taskId.replace(/[^A-Za-z0-9_.-]/g, '_')}.jsonl`);
}

/**
 * Job output on one machine: from the task's log file once it has ended, from Docker while it
 * runs. Both give the same sequence of lines, so a cursor (the index of the next line) taken
 * from one works with the other: following across the end of a task loses nothing.
 */
export class LocalLogReader implements LogReader {
  private readonly docker: Docker;
  constructor(private readonly options: { dataDir: string; docker?: Docker }) {
    this.docker = options.docker ?? new Docker();
  }

  async read(query: LogQuery): Promise<{ lines: LogLine[]; nextCursor: string }> {
    const all = await this.linesOf(query.taskId);
    const start = parseCursor(query.cursor);
    const lines: LogLine[] = [];
    let next = start;
    for (let i = start; i < all.length && lines.length < query.limit; i++) {
      next = i + 1;
      const line = all[i]!;
      if (query.stream === 'all' || line.stream === query.stream) lines.push(line);
    }
    return { lines, nextCursor: String(Math.max(next, start)) };
  }

  private async linesOf(taskId: string): Promise<LogLine[]> {
    try {
      const text = await readFile(logFileFor(this.options.dataDir, taskId), 'utf8');
      return text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as LogLine);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    try {
      const buffer = (await this.docker
        .getContainer(taskId)
        .logs({ stdout: true, stderr: true, timestamps: true, follow: false })) as unknown as Buffer;
      return demuxDockerLogs(buffer);
    } catch (err) {
      // No file and no container: the task has not started, or failed before it could.
      if ((err as { statusCode?: number }).statusCode === 404) return [];
      throw err;
    }
  }
}

function parseCursor(cursor: string | undefined): number {
  const n = Number(cursor ?? 0);
  return Number.isInteger(n) && n >= 0 ? n : 0;
}
