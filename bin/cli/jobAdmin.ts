import { Option, type Command } from 'commander';
import { collectEnv, positiveInt, wholeNumber, type Connect } from './options.ts';
import { emit, examples, outputOption, say, type Format } from './output.ts';
import { finishQueued } from './run.ts';
import { addTimingOptions, backoffOption, timingFrom, type TimingOpts } from './timingOptions.ts';

const FINAL = ['succeeded', 'failed', 'timed_out', 'cancelled'] as const;

/** `jobs rerun`, `jobs delete`, `jobs purge`: what is done with finished jobs. */
export function registerJobAdmin(jobs: Command, connect: Connect): void {
  const rerun = jobs
    .command('rerun')
    .description(
      'Queue a finished job again as a new job: same worker, stdin, env and settings (options override them)',
    )
    .argument('<id>')
    .option('--env <NAME=VALUE>', "env set over the original job's (repeatable)", collectEnv);
  addTimingOptions(rerun)
    .addOption(backoffOption())
    .option('--wait', 'stream the output until the new job ends, and exit with its exit code')
    .addOption(outputOption())
    .addHelpText(
      'after',
      examples(
        'runlater jobs rerun 01kb2x7d3q9m4v8e6r5t0y1z2w --wait',
        'runlater jobs rerun 01kb2x7d3q9m4v8e6r5t0y1z2w --env MODE=verbose -o json',
      ) +
        '\nThe original must be finished, and its stdin still kept (else HTTP 410: retention removed it).\n',
    )
    .action(async (id: string, opts: RerunOpts) => {
      const client = await connect();
      const job = await client.rerunJob(id, {
        ...(opts.env ? { env: opts.env } : {}),
        ...timingFrom(opts),
      });
      await finishQueued(client, job, opts);
    });

  jobs
    .command('delete')
    .description('Delete a finished job with its stdin and output (a queued or running one is refused)')
    .argument('<id>')
    .addOption(outputOption())
    .addHelpText(
      'after',
      examples(
        'runlater jobs delete 01kb2x7d3q9m4v8e6r5t0y1z2w',
        'runlater jobs delete 01kb2x7d3q9m4v8e6r5t0y1z2w -o json',
      ),
    )
    .action(async (id: string, opts: { output: Format }) => {
      await (await connect()).deleteJob(id);
      emit(opts.output, { id, deleted: true }, () => say(opts.output, `job ${id} deleted`));
    });

  jobs
    .command('purge')
    .description('Delete finished jobs by worker, status and age, with their stdin and output')
    .option('--worker <name>', "only this worker's jobs")
    .addOption(new Option('--status <status>', 'only jobs that ended so').choices(FINAL))
    .option('--older-than <seconds>', 'only jobs finished at least this long ago', wholeNumber)
    .option(
      '--limit <n>',
      'delete at most this many (1-100 a call; more calls are made with --all)',
      positiveInt,
    )
    .option('--all', 'call again until nothing more matches')
    .addOption(outputOption())
    .addHelpText(
      'after',
      examples(
        'runlater jobs purge --worker thumbnailer --status succeeded',
        'runlater jobs purge --older-than 86400 --all -o json',
      ),
    )
    .action(async (opts: PurgeOpts) => {
      const client = await connect();
      let deleted = 0;
      let more = true;
      // --all: each call is bounded by the server; the loop is bounded too (10,000 calls of up to 100).
      for (let calls = 0; more && calls < (opts.all ? 10_000 : 1); calls++) {
        const page = await client.purgeJobs({
          ...(opts.worker ? { worker: opts.worker } : {}),
          ...(opts.status ? { status: opts.status } : {}),
          ...(opts.olderThan !== undefined ? { olderThanSeconds: opts.olderThan } : {}),
          ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
        });
        deleted += page.deleted;
        more = page.more;
      }
      emit(opts.output, { deleted, more }, () =>
        say(opts.output, `${deleted} job(s) deleted${more ? '; more match: run again' : ''}`),
      );
    });
}

interface RerunOpts extends TimingOpts {
  env?: Record<string, string>;
  wait?: boolean;
  output: Format;
}

interface PurgeOpts {
  worker?: string;
  status?: (typeof FINAL)[number];
  olderThan?: number;
  limit?: number;
  all?: boolean;
  output: Format;
}
