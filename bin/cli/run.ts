import {
  isFinalStatus,
  RunlaterTimeoutError,
  type Job,
  type RunlaterClient,
} from '../../client/RunlaterClient.ts';
import { emit, printJob, say, writeLine, type Format } from './output.ts';

/** Exit code of `jobs wait --timeout` when the time ran out, as timeout(1) has it. */
export const WAIT_TIMED_OUT = 124;

/**
 * What `jobs run` and `jobs rerun` do with the job they queued: print its id (or the job, with
 * -o json|yaml), or with --wait run it to its end, and set the exit code the CLI ends with.
 */
export async function finishQueued(
  client: RunlaterClient,
  job: Job,
  options: { wait?: boolean | undefined; output: Format },
): Promise<void> {
  if (!options.wait) return emit(options.output, job, () => say(options.output, job.id));
  // An array's parent has no output of its own: wait for its children, and show their counts.
  process.exitCode = job.array
    ? await waitJob(client, job.id, { output: options.output })
    : await runJob(client, job, { output: options.output });
}

/**
 * `jobs run --wait`: streams the job's output as it comes (or, with -o json|yaml, prints only the
 * final job) and returns the exit code the CLI should end with: the job's own.
 */
export async function runJob(client: RunlaterClient, job: Job, options: { output: Format }): Promise<number> {
  const watch = watchJob(job);
  try {
    if (options.output !== 'table') {
      watch.last = await client.waitForJob(job.id, { onJob: watch.onJob, signal: watch.signal });
    } else {
      for await (const line of client.followLogs(job.id, { onJob: watch.onJob, signal: watch.signal }))
        await writeLine(line);
    }
  } catch (err) {
    if (!watch.signal.aborted) throw err;
  } finally {
    watch.done();
  }
  if (watch.signal.aborted) return interrupted(job.id);
  const final = isFinalStatus(watch.last.status) ? watch.last : await client.getJob(job.id);
  if (options.output !== 'table') emit(options.output, final, () => undefined);
  return exitCodeOf(final);
}

/** `jobs wait ID`: polls until the job ends, prints it, and returns the job's exit code. */
export async function waitJob(
  client: RunlaterClient,
  id: string,
  options: { timeout?: number; output: Format },
): Promise<number> {
  const watch = watchJob(await client.getJob(id));
  let final: Job;
  try {
    final = await client.waitForJob(id, {
      onJob: watch.onJob,
      signal: watch.signal,
      ...(options.timeout !== undefined ? { timeoutMs: options.timeout * 1000 } : {}),
    });
  } catch (err) {
    if (watch.signal.aborted) return interrupted(id);
    if (err instanceof RunlaterTimeoutError) {
      process.stderr.write(`error: job ${id} still ${err.job.status} after ${options.timeout}s\n`);
      return WAIT_TIMED_OUT;
    }
    throw err;
  } finally {
    watch.done();
  }
  emit(options.output, final, () => printJob(final));
  return exitCodeOf(final);
}

/** Progress on stderr for a person watching, and Ctrl-C to stop watching (not the job). */
function watchJob(job: Job) {
  const stop = new AbortController();
  const interrupt = () => stop.abort();
  process.once('SIGINT', interrupt);
  // Progress is for a person watching; on a pipe or file it would only corrupt stderr.
  const show = (j: Job) => {
    if (process.stderr.isTTY && !isFinalStatus(j.status))
      process.stderr.write(`runlater: job ${j.id} ${j.status}…\n`);
  };
  // Why it waits (a delay, a retry and its cause): said once each time the reason changes.
  const why = (j: Job) => {
    if (process.stderr.isTTY && j.waitingReason)
      process.stderr.write(`runlater: job ${j.id} waiting: ${j.waitingReason}\n`);
  };
  show(job);
  why(job);
  const watch = {
    last: job,
    signal: stop.signal,
    onJob: (j: Job) => {
      if (j.status !== watch.last.status) show(j);
      if (j.waitingReason !== watch.last.waitingReason) why(j);
      watch.last = j;
    },
    done: () => process.off('SIGINT', interrupt),
  };
  return watch;
}

function interrupted(id: string): number {
  process.stderr.write(
    `\nrunlater: stopped waiting; job ${id} goes on (\`runlater jobs cancel ${id}\` stops it)\n`,
  );
  return 130;
}

/** What `jobs cancel` says for the job the API answered with. */
export function cancelText(job: Job): string {
  if (job.status === 'cancelled') return `job ${job.id} cancelled`;
  return isFinalStatus(job.status) ? `job ${job.id} already ${job.status}` : `job ${job.id} is being stopped`;
}

/** The job's own exit code; 1 (with a message) when it has none to give. */
export function exitCodeOf(job: Job): number {
  if (job.status === 'succeeded') return 0;
  if (job.status === 'failed' && job.exitCode !== null && job.exitCode !== 0) {
    return job.exitCode & 0xff || 1;
  }
  const why = job.error ? `: ${job.error}` : '';
  process.stderr.write(`error: job ${job.id} ${job.status.replace('_', ' ')}${why}\n`);
  return 1;
}
