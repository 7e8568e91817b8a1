import { Option, type Command } from 'commander';
import type { Job, JobStatus, LogLine, LogsPage, LogStream } from '../../client/RunlaterClient.ts';
import { collect, collectEnv, integer, positiveInt, readStdinArg, type Connect } from './options.ts';
import { emit, examples, outputOption, printJob, printJobs, say, writeLine, type Format } from './output.ts';
import { cancelText, finishQueued, waitJob } from './run.ts';
import { registerJobAdmin } from './jobAdmin.ts';
import { addTimingOptions, backoffOption, timingFrom, type TimingOpts } from './timingOptions.ts';

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

  const run = jobs
    .command('run')
    .description('Queue a job for a worker; with --wait, stream its output and exit with its exit code')
    .argument('<worker>')
    .option('--stdin <file>', "file to send as the job's stdin, or - for this command's standard input")
    .option('--env <NAME=VALUE>', "env for this job, over the worker's (repeatable)", collectEnv);
  addTimingOptions(run)
    .option(
      '--priority <n>',
      "-1000..1000: when the worker's jobs wait for a concurrency slot, higher starts first",
      integer,
    )
    .addOption(backoffOption())
    .option('--idempotency-key <key>', 'sending the same key and request again returns the same job')
    .option('--notify <url>', "POST the job, signed with its worker's secret, to this URL when it ends")
    .option(
      '--after <id>',
      'start only once this job succeeded; cancelled if it did not (repeatable)',
      collect,
    )
    .addOption(
      new Option(
        '--stdin-from <id>',
        "this job's stdout becomes the job's stdin (implies --after)",
      ).conflicts('stdin'),
    )
    .addOption(
      new Option(
        '--array-size <n>',
        'make an array of n child jobs (1-10000), each with RUNLATER_ARRAY_INDEX',
      )
        .argParser(positiveInt)
        .conflicts('arraySplit'),
    )
    .addOption(
      new Option('--array-split <how>', 'make an array with one child per line of stdin').choices(['lines']),
    )
    .option('--wait', 'stream the output until the job ends, and exit with its exit code')
    .addOption(outputOption())
    .addHelpText(
      'after',
      examples(
        'echo hello | runlater jobs run echo --stdin - --wait',
        'runlater jobs run thumbs --stdin urls.txt --array-split lines --wait   # a child per line',
        'runlater jobs run thumbs --stdin photo.jpg --env SIZE=64 --wait > thumb.jpg',
        'runlater jobs run thumbs --stdin photo.jpg --delay 3600 --idempotency-key upload-42',
        'runlater jobs run echo --wait -o json          # the final job, not the output',
      ),
    )
    .action(async (worker: string, opts: RunOpts) => {
      const client = await connect();
      const stdin = opts.stdin !== undefined ? await readStdinArg(opts.stdin) : undefined;
      const job = await client.submitJob(
        {
          worker,
          ...(stdin ? { stdinBase64: stdin.toString('base64') } : {}),
          ...(opts.env ? { env: opts.env } : {}),
          ...timingFrom(opts),
          ...(opts.priority !== undefined ? { priority: opts.priority } : {}),
          ...(opts.notify ? { notify: { url: opts.notify } } : {}),
          ...(opts.after ? { after: opts.after } : {}),
          ...(opts.stdinFrom ? { stdinFrom: opts.stdinFrom } : {}),
          ...(opts.arraySize !== undefined ? { array: { size: opts.arraySize } } : {}),
          ...(opts.arraySplit ? { array: { split: opts.arraySplit } } : {}),
        },
        opts.idempotencyKey ? { idempotencyKey: opts.idempotencyKey } : {},
      );
      await finishQueued(client, job, opts);
    });

  jobs
    .command('wait')
    .description("Wait until a job ends, print it, and exit with the job's exit code")
    .argument('<id>')
    .option('--timeout <seconds>', 'give up after this long (exit code 124); the job goes on', positiveInt)
    .addOption(outputOption())
    .addHelpText(
      'after',
      examples(
        'runlater jobs wait 01JZ8…',
        'runlater jobs wait "$(runlater jobs run echo --stdin data.txt)" --timeout 600 -o json',
      ),
    )
    .action(async (id: string, opts: { timeout?: number; output: Format }) => {
      process.exitCode = await waitJob(await connect(), id, opts);
    });

  jobs
    .command('status')
    .description('Show a job')
    .argument('<id>')
    .addOption(outputOption())
    .addHelpText(
      'after',
      examples('runlater jobs status 01JZ8…', 'runlater jobs status 01JZ8… -o json | jq .status'),
    )
    .action(async (id: string, opts: { output: Format }) => {
      const job = await (await connect()).getJob(id);
      emit(opts.output, job, () => printJob(job));
    });

  jobs
    .command('list')
    .description('List jobs, newest first')
    .addOption(new Option('--worker <name>', "only this worker's jobs").conflicts('parent'))
    .option('--parent <id>', "an array's children, by index")
    .addOption(new Option('--status <status>', 'only jobs in this status').choices(STATUSES))
    .option('--limit <n>', 'at most this many', positiveInt)
    .option('--cursor <cursor>', 'continue an earlier listing')
    .addOption(outputOption())
    .addHelpText(
      'after',
      examples(
        'runlater jobs list --status failed',
        'runlater jobs list --worker thumbs --limit 5 -o json',
        'runlater jobs list --parent 01JZ8… --status failed   # the failed children of an array',
        'runlater jobs list | cut -f1                  # ids: piped output is tab-separated',
      ),
    )
    .action(
      async (opts: {
        worker?: string;
        parent?: string;
        status?: JobStatus;
        limit?: number;
        cursor?: string;
        output: Format;
      }) => {
        const { output, ...query } = opts;
        const page = await (await connect()).listJobs(query);
        emit(output, page, () => {
          printJobs(page.jobs);
          if (page.nextCursor) process.stderr.write(`more: --cursor ${page.nextCursor}\n`);
        });
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
    .addOption(outputOption())
    .addHelpText(
      'after',
      examples(
        'runlater jobs logs 01JZ8… --stream stderr',
        'runlater jobs logs 01JZ8… --follow',
        'runlater jobs logs 01JZ8… -o json            # the lines with stream and time, as the API gives them',
      ),
    )
    .action(async (id: string, opts: LogsOpts) => {
      const client = await connect();
      const { stream, attempt } = opts;
      // The table format of output is the output itself, byte for byte.
      const raw = opts.output === 'table';
      if (opts.follow) {
        for await (const line of client.followLogs(id, { stream, attempt })) {
          if (raw) await writeLine(line);
          // Followed, each line is printed as it comes: one JSON object a line (NDJSON), or one
          // more item of a YAML list.
          else if (opts.output === 'json') process.stdout.write(`${JSON.stringify(line)}\n`);
          else emit('yaml', [line], () => undefined);
        }
        return;
      }
      const lines: LogLine[] = [];
      let last: LogsPage | undefined;
      // What is there now, page by page; the bound only guards against a server that never ends.
      for (let pages = 0; pages < 100_000; pages++) {
        const page: LogsPage = await client.getLogs(id, { stream, attempt, cursor: last?.nextCursor });
        if (raw) for (const line of page.lines) await writeLine(line);
        else lines.push(...page.lines);
        last = page;
        if (page.complete || page.lines.length === 0) break;
      }
      // All pages as one page of the API's shape.
      if (!raw) emit(opts.output, { ...last, lines }, () => undefined);
    });

  jobs
    .command('deliveries')
    .description("Show a job's webhook deliveries: each attempt's time, response code and error")
    .argument('<id>')
    .addOption(outputOption())
    .addHelpText(
      'after',
      examples(
        'runlater jobs deliveries 01kb2x7d3q9m4v8e6r5t0y1z2w',
        'runlater jobs deliveries 01kb2x7d3q9m4v8e6r5t0y1z2w -o json',
      ),
    )
    .action(async (id: string, opts: { output: Format }) => {
      const deliveries = await (await connect()).listDeliveries(id);
      if (opts.output !== 'table') return emit(opts.output, deliveries, () => undefined);
      for (const d of deliveries) {
        process.stdout.write(`${d.id} ${d.event} ${d.status} ${d.url}\n`);
        for (const a of d.attempts)
          process.stdout.write(`  #${a.attempt} ${a.at} ${a.responseCode ?? '-'} ${a.error ?? ''}\n`);
      }
    });

  jobs
    .command('cancel')
    .description('Cancel a job: a queued one never starts, a running one is stopped')
    .argument('<id>')
    .addOption(outputOption())
    .addHelpText('after', examples('runlater jobs cancel 01JZ8…', 'runlater jobs cancel 01JZ8… -o json'))
    .action(async (id: string, opts: { output: Format }) => {
      const job: Job = await (await connect()).cancelJob(id);
      emit(opts.output, job, () => say(opts.output, cancelText(job)));
    });

  registerJobAdmin(jobs, connect);
}

interface LogsOpts {
  stream: LogStream;
  attempt?: number;
  follow?: boolean;
  output: Format;
}

interface RunOpts extends TimingOpts {
  stdin?: string;
  env?: Record<string, string>;
  priority?: number;
  idempotencyKey?: string;
  notify?: string;
  after?: string[];
  stdinFrom?: string;
  arraySize?: number;
  arraySplit?: 'lines';
  wait?: boolean;
  output: Format;
}
