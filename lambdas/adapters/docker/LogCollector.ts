import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { outputDirFor } from '../local/outputFormat.ts';
import { OutputWriter } from '../local/OutputWriter.ts';
import { DockerLogDemuxer } from './dockerLogs.ts';

interface Pass {
  /** true when the log ended by itself, false when the pass was stopped first. */
  done: Promise<boolean>;
  abort: AbortController;
}

/**
 * Copies each container's output to the task's files (outputFormat.ts) while it runs, so a page
 * of it costs the page alone and a crash of this process keeps what was copied. Docker's own copy
 * (the `local` log driver, never rotated: see containerConfig.ts) holds everything until the
 * container is removed, so a pass that stops anywhere is taken up again exactly where the files end.
 */
export class LogCollector {
  private readonly passes = new Map<string, Pass>();

  constructor(
    private readonly docker: Docker,
    private readonly dataDir: string,
  ) {}

  /** Copies output as it comes until the container ends; one pass per task at a time. */
  async follow(taskId: string): Promise<void> {
    await (this.passes.get(taskId) ?? this.start(taskId)).done;
  }

  /**
   * Once the container has exited: makes sure every byte Docker logged is on disk. The pass that
   * followed it may still be reading (or may have failed): it is stopped, and a last one copies
   * whatever remains.
   */
  async drain(taskId: string): Promise<void> {
    const running = this.passes.get(taskId);
    if (running) {
      running.abort.abort();
      await running.done.catch(() => undefined);
    }
    if (!(await this.start(taskId).done)) throw new Error('stopped before all of the output was copied');
  }

  /** Stops every pass; what they copied stays, and the next pass takes up from there. */
  async close(): Promise<void> {
    const passes = [...this.passes.values()];
    for (const pass of passes) pass.abort.abort();
    await Promise.allSettled(passes.map((p) => p.done));
  }

  private start(taskId: string): Pass {
    const abort = new AbortController();
    const pass: Pass = {
      abort,
      done: this.copy(taskId, abort.signal).finally(() => {
        if (this.passes.get(taskId) === pass) this.passes.delete(taskId);
      }),
    };
    this.passes.set(taskId, pass);
    return pass;
  }

  private async copy(taskId: string, signal: AbortSignal): Promise<boolean> {
    const writer = await OutputWriter.open(outputDirFor(this.dataDir, taskId));
    try {
      const resume = await writer.resumePoint();
      // `follow` on an exited container sends what it has and ends; so it is used for both.
      const stream = (await this.docker.getContainer(taskId).logs({
        follow: true,
        stdout: true,
        stderr: true,
        timestamps: true,
        ...(resume ? { since: resume.sinceSeconds } : {}),
      })) as unknown as Readable;
      const stop = () => stream.destroy();
      signal.addEventListener('abort', stop, { once: true });
      if (signal.aborted) stop();
      try {
        const demuxer = new DockerLogDemuxer();
        let skip = resume?.skip ?? 0;
        // One chunk at a time: the stream waits while its messages are written (back-pressure).
        for await (const chunk of stream) {
          let messages = demuxer.push(chunk as Buffer);
          if (skip > 0) {
            const dropped = Math.min(skip, messages.length);
            messages = messages.slice(dropped);
            skip -= dropped;
          }
          await writer.append(messages);
        }
        return !signal.aborted;
      } catch (err) {
        if (!signal.aborted) throw err;
        return false;
      } finally {
        signal.removeEventListener('abort', stop);
      }
    } finally {
      await writer.close();
    }
  }
}
