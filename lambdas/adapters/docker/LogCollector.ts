import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { outputDirFor } from '../local/outputFormat.ts';
import { OutputWriter } from '../local/OutputWriter.ts';
import { DockerLogDemuxer } from './dockerLogs.ts';

/** How long drain() lets the pass following a container that exited end by itself. */
const FOLLOW_END_MS = 2000;

const delay = <T>(ms: number, value: T) =>
  new Promise<T>((resolve) => setTimeout(resolve, ms, value).unref());

interface Pass {
  /** true when the log ended by itself, false when the pass was stopped first. */
  done: Promise<boolean>;
  abort: AbortController;
  /** When Docker ended the log by itself (ms since the epoch, this host's clock as Docker's). */
  endedAt?: number;
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
  async drain(taskId: string, exitedAt: number): Promise<void> {
    const running = this.passes.get(taskId);
    if (running) {
      // Docker ends a follow of a container that exited once it has sent all of its log: a pass
      // whose log ended after the exit has copied everything, and a second pass (a logs request,
      // the files opened again) would find nothing. One that fails, takes too long, or whose log
      // ended before the exit (a connection cut) is stopped, and a last pass copies what remains.
      const ended = await Promise.race([running.done.catch(() => false), delay(FOLLOW_END_MS, false)]);
      if (ended && running.endedAt !== undefined && running.endedAt >= exitedAt) return;
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
      done: this.copy(taskId, abort.signal, () => (pass.endedAt = Date.now())).finally(() => {
        if (this.passes.get(taskId) === pass) this.passes.delete(taskId);
      }),
    };
    this.passes.set(taskId, pass);
    return pass;
  }

  private async copy(taskId: string, signal: AbortSignal, onEnd: () => void): Promise<boolean> {
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
        if (!signal.aborted) onEnd();
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
