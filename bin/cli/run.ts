import { isFinalStatus, type Job, type RunlaterClient } from '../../client/RunlaterClient.ts';
import { printJson, writeLine } from './output.ts';

/**
 * `jobs run --wait`: streams the job's output as it comes (or, with --json, prints only the final
 * job) and returns the exit code the CLI should end with: the job's own.
 */
export async function runJob(client: RunlaterClient, job: Job, options: { json: boolean }): Promise<number> {
  const stop = new AbortController();
  const interrupted = () => stop.abort();
  process.once('SIGINT', interrupted);
  let last = job;
  const onJob = (j: Job) => {
    // Progress is for a person watching; on a pipe or file it would only corrupt stderr.
    if (process.stderr.isTTY && j.status !== last.status && !isFinalStatus(j.status)) {
      process.stderr.write(`runlater: job ${j.id} ${j.status}…\n`);
    }
    // Why it waits (a delay, a retry and its cause): said once each time the reason changes.
    if (process.stderr.isTTY && j.waitingReason && j.waitingReason !== last.waitingReason) {
      process.stderr.write(`runlater: job ${j.id} waiting: ${j.waitingReason}\n`);
    }
    last = j;
  };
  if (process.stderr.isTTY) {
    process.stderr.write(`runlater: job ${job.id} ${job.status}…\n`);
    if (job.waitingReason) process.stderr.write(`runlater: job ${job.id} waiting: ${job.waitingReason}\n`);
  }
  try {
    if (options.json) {
      last = await client.waitForJob(job.id, { onJob, signal: stop.signal });
    } else {
      for await (const line of client.followLogs(job.id, { onJob, signal: stop.signal }))
        await writeLine(line);
    }
  } catch (err) {
    if (!stop.signal.aborted) throw err;
  } finally {
    process.off('SIGINT', interrupted);
  }
  if (stop.signal.aborted) {
    process.stderr.write(
      `\nrunlater: stopped waiting; job ${job.id} goes on (\`runlater jobs cancel ${job.id}\` stops it)\n`,
    );
    return 130;
  }
  const final = isFinalStatus(last.status) ? last : await client.getJob(job.id);
  if (options.json) printJson(final);
  return exitCodeOf(final);
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
