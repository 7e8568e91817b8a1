import { Option, type Command } from 'commander';
import type { CreateJobInput } from '../../client/RunlaterClient.ts';
import { backoff, isoTime, positiveInt, retryFrom, wholeNumber } from './options.ts';

/** What `jobs run` and `jobs rerun` read from the options added here and by `backoffOption`. */
export interface TimingOpts {
  timeout?: number;
  delay?: number;
  at?: string;
  maxAttempts?: number;
  backoff?: ReturnType<typeof backoff>;
}

/**
 * Adds `--timeout`, `--delay`, `--at` and `--max-attempts`, in that order, to a command that
 * queues a job (`jobs run`, `jobs rerun`); `--backoff` is apart because `jobs run` lists
 * `--priority` before it.
 * @example addTimingOptions(jobs.command('run').argument('<worker>')).addOption(backoffOption())
 */
export function addTimingOptions(command: Command): Command {
  return command
    .option('--timeout <seconds>', 'job timeout', positiveInt)
    .addOption(
      new Option('--delay <seconds>', 'start no sooner than this many seconds from now')
        .argParser(wholeNumber)
        .conflicts('at'),
    )
    .addOption(
      new Option('--at <time>', 'start at this ISO 8601 time (up to 7 days ahead)').argParser(isoTime),
    )
    .option('--max-attempts <n>', 'attempts, 1-10', positiveInt);
}

export const backoffOption = () =>
  new Option(
    '--backoff <policy>',
    'delay before retries: none, 1m, 10m, 1h, or seconds like 10,60,300',
  ).argParser(backoff);

/** The request fields for the options given; none for those left out (the server's defaults hold). */
export function timingFrom(
  opts: TimingOpts,
): Pick<CreateJobInput, 'timeoutSeconds' | 'delaySeconds' | 'runAt' | 'retry'> {
  const retry = retryFrom(opts);
  return {
    ...(opts.timeout !== undefined ? { timeoutSeconds: opts.timeout } : {}),
    ...(opts.delay !== undefined ? { delaySeconds: opts.delay } : {}),
    ...(opts.at ? { runAt: opts.at } : {}),
    ...(retry ? { retry } : {}),
  };
}
