import { Option, type Command } from 'commander';
import { isFinalStatus, type Job, type JobStatus, type LogStream } from '../../client/RunlaterClient.ts';
import {
  backoff,
  collectEnv,
  integer,
  isoTime,
  jsonOption,
  positiveInt,
  readStdinArg,
  retryFrom,
  wholeNumber,
  type Connect,
} from './options.ts';
import { printJob, printJobs, printJson, writeLine } from './output.ts';
import { runJob } from './run.ts';

const STATUSES: JobStatus[] = [
  'queued',
  'starting',
  'running',
  'succeeded',
  'failed',
  'timed_out',
  'cancelled',
];

export function registerJobs(program: Command, connect: Connect): void {
  const jobs = program.command('jobs').description('Queue jobs and read their status and output');

  jobs
    .command('run')
    .description('Queue a job for a worker; with --wait, stream its output and exit with its exit code')
    .argument('<worker>')
    .option('--stdin <file>', "file to send as the job's stdin, or - for this command's standard input")
    .option('--env <NAME=VALUE>', "env for this job, over the worker's (repeatable)", collectEnv)
    .option('--timeout <seconds>', 'job timeout', positiveInt)
    .addOption(
      new Option('--delay <seconds>', 'start no sooner than this many seconds from now')
        .argParser(wholeNumber)
        .conflicts('at'),
    )
    .addOption(
      new Option('--at <time>', 'start at this ISO 8601 time (up to 7 days ahead)').argParser(isoTime),
    )
    .option('--max-attempts <n>', 'attempts, 1-10', positiveInt)
    .option(
      '--priority <n>',
      "-1000..1000: when the worker's jobs wait for a concurrency slot, higher starts first",
      integer,
    )
    .option(
      '--backoff <policy>',
      'delay before retries: none, 1m, 10m, 1h, or seconds like 10,60,300',
      backoff,
    )
    .option('--idempotency-key <key>', 'sending the same key and request again returns the same job')
    .option('--wait', 'stream the output until the job ends, and exit with its exit code')
    .addOption(jsonOption('print the job as JSON (with --wait: the final job, no output)'))
    .action(async (worker: string, opts: RunOpts) => {
      const client = await connect();
      const stdin = opts.stdin !== undefined ? await readStdinArg(opts.stdin) : undefined;
      const retry = retryFrom(opts);
      const job = await client.submitJob(
        {
          worker,
          ...(stdin ? { stdinBase64: stdin.toString('base64') } : {}),
          ...(opts.env ? { env: opts.env } : {}),
          ...(opts.timeout !== undefined ? { timeoutSeconds: opts.timeout } : {}),
          ...(opts.delay !== undefined ? { delaySeconds: opts.delay } : {}),
          ...(opts.at ? { runAt: opts.at } : {}),
          ...(opts.priority !== undefined ? { priority: opts.priority } : {}),
          ...(retry ? { retry } : {}),
        },
        opts.idempotencyKey ? { idempotencyKey: opts.idempotencyKey } : {},
      );
      if (!opts.wait) {
        if (opts.json) printJson(job);
        else process.stdout.write(`${job.id}\n`);
        return;
      }
      process.exitCode = await runJob(client, job, { json: Boolean(opts.json) });
    });

  jobs
    .command('status')
    .description('Show a job')
    .argument('<id>')
    .addOption(jsonOption())
    .action(async (id: string, opts: { json?: boolean }) => {
      const job = await (await connect()).getJob(id);
      if (opts.json) printJson(job);
      else printJob(job);
    });

  jobs
    .command('list')
    .description('List jobs, newest first')
    .option('--worker <name>', "only this worker's jobs")
    .addOption(new Option('--status <status>', 'only jobs in this status').choices(STATUSES))
    .option('--limit <n>', 'at most this many', positiveInt)
    .option('--cursor <cursor>', 'continue an earlier listing')
    .addOption(jsonOption())
    .action(
      async (opts: {
        worker?: string;
        status?: JobStatus;
        limit?: number;
        cursor?: string;
        json?: boolean;
      }) => {
        const { json, ...query } = opts;
        const page = await (await connect()).listJobs(query);
        if (json) return printJson(page);
        printJobs(page.jobs);
        if (page.nextCursor) process.stderr.write(`more: --cursor ${page.nextCursor}\n`);
      },
    );

  jobs
    .command('logs')
    .description("Print a job's output byte for byte (stdout to stdout, stderr to stderr)")
    .argument('<id>')
    .addOption(
      new Option('--stream <stream>', 'which output').choices(['stdout', 'stderr', 'all']).default('all'),
    )
    .option('--attempt <n>', 'which attempt (default: the latest; with --follow, each in turn)', positiveInt)
    .option('-f, --follow', 'keep printing new output until the job ends')
    .action(async (id: string, opts: { stream: LogStream; attempt?: number; follow?: boolean }) => {
      const client = await connect();
      const { stream, attempt } = opts;
      if (opts.follow) {
        for await (const line of client.followLogs(id, { stream, attempt })) await writeLine(line);
        return;
      }
      let cursor: string | undefined;
      // What is there now, page by page; the bound only guards against a server that never ends.
      for (let pages = 0; pages < 100_000; pages++) {
        const page = await client.getLogs(id, { stream, attempt, cursor });
        for (const line of page.lines) await writeLine(line);
        if (page.complete || page.lines.length === 0) return;
        cursor = page.nextCursor;
      }
    });

  jobs
    .command('cancel')
    .description('Cancel a job: a queued one never starts, a running one is stopped')
    .argument('<id>')
    .addOption(jsonOption())
    .action(async (id: string, opts: { json?: boolean }) => {
      const job: Job = await (await connect()).cancelJob(id);
      if (opts.json) return printJson(job);
      const state =
        job.status === 'cancelled'
          ? 'cancelled'
          : isFinalStatus(job.status)
            ? `already ${job.status}`
            : 'is being stopped';
      process.stdout.write(`job ${id} ${state}\n`);
    });
}

interface RunOpts {
  stdin?: string;
  env?: Record<string, string>;
  timeout?: number;
  delay?: number;
  at?: string;
  maxAttempts?: number;
  backoff?: ReturnType<typeof backoff>;
  priority?: number;
  idempotencyKey?: string;
  wait?: boolean;
  json?: boolean;
}
