import { Command, CommanderError, Option } from 'commander';
import {
  isFinalStatus,
  lineBytes,
  RunlaterApiError,
  RunlaterClient,
  type Job,
} from '../../client/RunlaterClient.ts';
import { resolveConnection, saveProfile } from '../../client/config.ts';
import { backoff, collect, collectEnv, positiveInt, readStdinArg, retryFrom } from './options.ts';
import { printJob, printJobs, printJson, printTable, printWorkers } from './output.ts';

/**
 * The `runlater` CLI: every verb is a thin call of the typed client (client/RunlaterClient.ts),
 * which users can import for themselves.
 */
const program = new Command('runlater')
  .description('Run any container image later: workers, jobs with stdin and env, their status and output.')
  .option('--url <url>', 'API URL (default: RUNLATER_URL, the saved login, or the local dev server)')
  .option('--token <token>', 'API token (default: RUNLATER_TOKEN, the saved login, or .runlater/token)')
  .showHelpAfterError()
  .exitOverride();

async function client(): Promise<RunlaterClient> {
  const { url, token } = program.opts<{ url?: string; token?: string }>();
  const connection = await resolveConnection({ ...(url ? { url } : {}), ...(token ? { token } : {}) });
  return new RunlaterClient(connection);
}

/** A fresh option each time: commander keeps per-command state in its options. */
const json = () => new Option('--json', 'print JSON');

program
  .command('dev')
  .description('Run the API on this machine: jobs run in Docker, data under .runlater/')
  .option('--port <port>', 'port to listen on (default: PORT or 8080)', positiveInt)
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--data-dir <dir>', 'where data is kept (default: RUNLATER_DATA_DIR or .runlater)')
  .action(async (opts: { port?: number; host: string; dataDir?: string }) => {
    const { startDevServer } = await import('../../local/devServer.ts');
    const server = await startDevServer({
      host: opts.host,
      ...(opts.port !== undefined ? { port: opts.port } : {}),
      ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
    });
    process.stdout.write(
      `runlater dev: listening on ${server.url}\n  data:  ${server.dataDir}\n  token: ${server.token}\n` +
        `  (saved in ${server.dataDir}/token; the CLI finds it there)\n`,
    );
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    process.stdout.write(
      'runlater dev: stopping (running jobs keep running and are taken up at the next start)\n',
    );
    await server.close();
    process.exit(0);
  });

program
  .command('login')
  .description('Save the URL and token of a runlater API (e.g. one deployed with cdk deploy)')
  .argument('<url>', 'the API URL')
  .requiredOption('--token <token>', 'an API token')
  .action(async (url: string, opts: { token: string }) => {
    const c = new RunlaterClient({ url, token: opts.token });
    await c.listJobs({ limit: 1 });
    process.stdout.write(`saved to ${await saveProfile({ url, token: opts.token })}\n`);
  });

const workers = program
  .command('workers')
  .description('Register and manage workers (a Docker image plus defaults)');

function workerOptions(cmd: Command, imageRequired: boolean): Command {
  return cmd[imageRequired ? 'requiredOption' : 'option']('--image <image>', 'Docker image reference')
    .option(
      '--command <arg>',
      "argv to run instead of the image's ENTRYPOINT and CMD (repeat per argument)",
      collect,
    )
    .option('--env <NAME=VALUE>', 'env for every job (repeatable)', collectEnv)
    .option('--cpu <units>', 'CPU units, 256 = 0.25 vCPU', positiveInt)
    .option('--memory <MiB>', 'memory in MiB', positiveInt)
    .option('--timeout <seconds>', 'job timeout', positiveInt)
    .option('--max-attempts <n>', 'attempts per job, 1-10', positiveInt)
    .option('--backoff <policy>', 'none, 1m, 10m, 1h, or seconds like 10,60,300', backoff)
    .option('--task-role <arn>', "AWS only: an IAM role named runlater-job-* for the jobs' code")
    .addOption(json());
}

interface WorkerOpts {
  image: string;
  command?: string[];
  env?: Record<string, string>;
  cpu?: number;
  memory?: number;
  timeout?: number;
  maxAttempts?: number;
  backoff?: string | number[];
  taskRole?: string;
  json?: boolean;
}

function workerBody(opts: WorkerOpts): Record<string, unknown> {
  const retry = retryFrom(opts);
  return {
    image: opts.image,
    ...(opts.command ? { command: opts.command } : {}),
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.cpu !== undefined ? { cpu: opts.cpu } : {}),
    ...(opts.memory !== undefined ? { memory: opts.memory } : {}),
    ...(opts.timeout !== undefined ? { timeoutSeconds: opts.timeout } : {}),
    ...(retry ? { retry } : {}),
    ...(opts.taskRole ? { taskRoleArn: opts.taskRole } : {}),
  };
}

workerOptions(workers.command('create').description('Register a worker').argument('<name>'), true).action(
  async (name: string, opts: WorkerOpts) => {
    const worker = await (await client()).createWorker({ name, ...workerBody(opts) });
    if (opts.json) printJson(worker);
    else process.stdout.write(`worker ${worker.name} created\n`);
  },
);
workerOptions(
  workers.command('update').description("Replace a worker's settings").argument('<name>'),
  true,
).action(async (name: string, opts: WorkerOpts) => {
  const worker = await (await client()).updateWorker(name, workerBody(opts));
  if (opts.json) printJson(worker);
  else process.stdout.write(`worker ${worker.name} updated (revision ${worker.revision})\n`);
});
workers
  .command('list')
  .description('List workers')
  .addOption(json())
  .action(async (opts: { json?: boolean }) => {
    const list = await (await client()).listWorkers();
    if (opts.json) printJson(list);
    else printWorkers(list);
  });
workers
  .command('show')
  .description('Show a worker')
  .argument('<name>')
  .action(async (name: string) => printJson(await (await client()).getWorker(name)));
workers
  .command('delete')
  .description('Delete a worker (its jobs stay readable)')
  .argument('<name>')
  .action(async (name: string) => {
    await (await client()).deleteWorker(name);
    process.stdout.write(`worker ${name} deleted\n`);
  });

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
      .argParser(positiveInt)
      .conflicts('at'),
  )
  .option('--at <time>', 'start at this ISO 8601 time (up to 7 days ahead)')
  .option('--max-attempts <n>', 'attempts, 1-10', positiveInt)
  .option('--backoff <policy>', 'none, 1m, 10m, 1h, or seconds like 10,60,300', backoff)
  .option('--idempotency-key <key>', 'the same key and request return the same job')
  .option('--wait', 'stream the output until the job ends, and exit with its exit code')
  .addOption(json())
  .action(async (worker: string, opts: RunOpts) => {
    const c = await client();
    const stdin = opts.stdin ? await readStdinArg(opts.stdin) : undefined;
    const retry = retryFrom(opts);
    const job = await c.submitJob(
      {
        worker,
        ...(stdin ? { stdinBase64: stdin.toString('base64') } : {}),
        ...(opts.env ? { env: opts.env } : {}),
        ...(opts.timeout !== undefined ? { timeoutSeconds: opts.timeout } : {}),
        ...(opts.delay !== undefined ? { delaySeconds: opts.delay } : {}),
        ...(opts.at ? { runAt: opts.at } : {}),
        ...(retry ? { retry } : {}),
      },
      opts.idempotencyKey ? { idempotencyKey: opts.idempotencyKey } : {},
    );
    if (!opts.wait) {
      if (opts.json) printJson(job);
      else process.stdout.write(`${job.id}\n`);
      return;
    }
    const final = await streamUntilDone(c, job.id);
    if (opts.json) printJson(final);
    process.exitCode = exitCodeOf(final);
  });

interface RunOpts {
  stdin?: string;
  env?: Record<string, string>;
  timeout?: number;
  delay?: number;
  at?: string;
  maxAttempts?: number;
  backoff?: string | number[];
  idempotencyKey?: string;
  wait?: boolean;
  json?: boolean;
}

/** Writes the job's output as it comes, stdout to stdout and stderr to stderr, byte for byte. */
async function streamUntilDone(c: RunlaterClient, id: string): Promise<Job> {
  let last = '';
  const progress = (job: Job) => {
    if (process.stderr.isTTY && job.status !== last && !isFinalStatus(job.status)) {
      process.stderr.write(`runlater: job ${id} ${job.status}…\n`);
    }
    last = job.status;
  };
  for await (const line of c.followLogs(id, { onJob: progress })) {
    (line.stream === 'stderr' ? process.stderr : process.stdout).write(lineBytes(line));
  }
  return c.getJob(id);
}

function exitCodeOf(job: Job): number {
  if (job.status === 'succeeded') return 0;
  if (job.exitCode !== null && job.status === 'failed') return job.exitCode;
  process.stderr.write(`runlater: job ${job.id} ${job.status}${job.error ? `: ${job.error}` : ''}\n`);
  return 1;
}

jobs
  .command('status')
  .description('Show a job')
  .argument('<id>')
  .addOption(json())
  .action(async (id: string, opts: { json?: boolean }) => {
    const job = await (await client()).getJob(id);
    if (opts.json) printJson(job);
    else printJob(job);
  });
jobs
  .command('list')
  .description('List jobs, newest first')
  .option('--worker <name>')
  .option('--status <status>', 'queued, starting, running, succeeded, failed, timed_out or cancelled')
  .option('--limit <n>', 'at most this many', positiveInt, 50)
  .option('--cursor <cursor>', 'continue from an earlier listing')
  .addOption(json())
  .action(
    async (opts: { worker?: string; status?: string; limit: number; cursor?: string; json?: boolean }) => {
      const { worker, status, limit, cursor } = opts;
      const page = await (await client()).listJobs({ worker, status, limit, cursor });
      if (opts.json) return printJson(page);
      printJobs(page.jobs);
      if (page.nextCursor) process.stdout.write(`more: --cursor ${page.nextCursor}\n`);
    },
  );
jobs
  .command('logs')
  .description("Print a job's output; --follow keeps printing until the job ends")
  .argument('<id>')
  .addOption(
    new Option('--stream <stream>', 'which output').choices(['stdout', 'stderr', 'all']).default('all'),
  )
  .option('--attempt <n>', 'which attempt (default: the latest; with --follow, all in turn)', positiveInt)
  .option('-f, --follow', 'keep printing new output until the job ends')
  .action(async (id: string, opts: { stream: string; attempt?: number; follow?: boolean }) => {
    const c = await client();
    const write = (line: Parameters<typeof lineBytes>[0]) =>
      (line.stream === 'stderr' ? process.stderr : process.stdout).write(lineBytes(line));
    if (opts.follow) {
      for await (const line of c.followLogs(id, {
        stream: opts.stream,
        ...(opts.attempt ? { attempt: opts.attempt } : {}),
      }))
        write(line);
      return;
    }
    let cursor = '';
    for (let pages = 0; pages < 10_000; pages++) {
      const page = await c.getLogs(id, {
        stream: opts.stream,
        ...(opts.attempt ? { attempt: opts.attempt } : {}),
        ...(cursor ? { cursor } : {}),
      });
      page.lines.forEach(write);
      if (page.lines.length === 0) return;
      cursor = page.nextCursor;
    }
  });
jobs
  .command('cancel')
  .description('Cancel a job: a queued one never starts, a running one is stopped')
  .argument('<id>')
  .action(async (id: string) => {
    const job = await (await client()).cancelJob(id);
    process.stdout.write(`job ${id} ${job.status === 'cancelled' ? 'cancelled' : 'is being stopped'}\n`);
  });

const schedules = program
  .command('schedules')
  .description('Recurring schedules: each run queues a normal job');
schedules
  .command('create')
  .description('Create a schedule')
  .argument('<name>')
  .requiredOption('--worker <name>')
  .requiredOption(
    '--expression <expr>',
    'rate(5 minutes) or cron(0 6 * * ? *) (EventBridge Scheduler syntax)',
  )
  .option('--timezone <tz>', 'IANA time zone for cron', 'UTC')
  .option('--env <NAME=VALUE>', 'env for each run (repeatable)', collectEnv)
  .option('--stdin <file>', "file to send as each run's stdin")
  .option('--paused', 'create it paused')
  .addOption(json())
  .action(
    async (
      name: string,
      opts: {
        worker: string;
        expression: string;
        timezone: string;
        env?: Record<string, string>;
        stdin?: string;
        paused?: boolean;
        json?: boolean;
      },
    ) => {
      const stdin = opts.stdin ? await readStdinArg(opts.stdin) : undefined;
      const schedule = await (
        await client()
      ).createSchedule({
        name,
        worker: opts.worker,
        expression: opts.expression,
        timezone: opts.timezone,
        paused: Boolean(opts.paused),
        job: {
          ...(opts.env ? { env: opts.env } : {}),
          ...(stdin ? { stdinBase64: stdin.toString('base64') } : {}),
        },
      });
      if (opts.json) printJson(schedule);
      else process.stdout.write(`schedule ${name} created; next run ${schedule.nextRunAt ?? '(paused)'}\n`);
    },
  );
schedules
  .command('list')
  .description('List schedules')
  .addOption(json())
  .action(async (opts: { json?: boolean }) => {
    const list = await (await client()).listSchedules();
    if (opts.json) return printJson(list);
    printTable(
      ['NAME', 'WORKER', 'EXPRESSION', 'TIMEZONE', 'STATE', 'NEXT RUN', 'LAST JOB'],
      list.map((s) => [s.name, s.worker, s.expression, s.timezone, s.state, s.nextRunAt, s.lastJobId]),
    );
  });
for (const [verb, paused] of [
  ['pause', true],
  ['resume', false],
] as const) {
  schedules
    .command(verb)
    .description(`${verb === 'pause' ? 'Pause' : 'Resume'} a schedule`)
    .argument('<name>')
    .action(async (name: string) => {
      const s = await (await client()).pauseSchedule(name, paused);
      process.stdout.write(`schedule ${name} ${s.state}\n`);
    });
}
schedules
  .command('delete')
  .description('Delete a schedule')
  .argument('<name>')
  .action(async (name: string) => {
    await (await client()).deleteSchedule(name);
    process.stdout.write(`schedule ${name} deleted\n`);
  });

const tokens = program.command('tokens').description('API tokens (admin)');
tokens
  .command('create')
  .description('Make a token; it is shown once')
  .requiredOption('--name <name>')
  .addOption(
    new Option('--scope <scope>', 'admin or jobs (repeatable)')
      .choices(['admin', 'jobs'])
      .argParser(collect as never),
  )
  .action(async (opts: { name: string; scope?: string[] }) => {
    const made = await (await client()).createToken(opts.name, opts.scope ?? ['jobs']);
    process.stdout.write(`${made.token}\n`);
    process.stderr.write(`token ${made.id} (${made.scopes.join(', ')}): shown once, keep it safe\n`);
  });
tokens
  .command('bootstrap')
  .description(
    'Make the first admin token of a deployed runlater, writing its hash straight to the tokens table with your AWS credentials',
  )
  .requiredOption('--table <name>', 'the TokensTable output of the stack')
  .option('--region <region>', 'AWS region (default: AWS_REGION)')
  .option('--name <name>', 'what the token is for', 'admin')
  .action(async (opts: { table: string; region?: string; name: string }) => {
    const { bootstrapToken } = await import('./bootstrapToken.ts');
    const made = await bootstrapToken(opts);
    process.stdout.write(`${made.token}\n`);
    process.stderr.write(`admin token ${made.id} written to ${opts.table}; shown once, keep it safe\n`);
  });
tokens
  .command('list')
  .description('List tokens')
  .action(async () => {
    const list = await (await client()).listTokens();
    printTable(
      ['ID', 'NAME', 'SCOPES', 'CREATED'],
      list.map((t) => [t.id, t.name, t.scopes.join(','), t.createdAt]),
    );
  });
tokens
  .command('revoke')
  .description('Revoke a token')
  .argument('<id>')
  .action(async (id: string) => {
    await (await client()).revokeToken(id);
    process.stdout.write(`token ${id} revoked\n`);
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // --help and --version end here too, with exit code 0.
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else if (err instanceof RunlaterApiError) {
    process.stderr.write(`error: ${err.message} (${err.code}${err.field ? `, field ${err.field}` : ''})\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
