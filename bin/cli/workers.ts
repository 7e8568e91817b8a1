import type { Command } from 'commander';
import type { UpdateWorkerInput, Worker } from '../../client/RunlaterClient.ts';
import {
  backoff,
  collect,
  collectEnv,
  integer,
  jsonOption,
  limitOrNone,
  positiveInt,
  retryFrom,
  UsageError,
  type Connect,
} from './options.ts';
import { printJson, printWorker, printWorkers, printWorkerStats } from './output.ts';

interface WorkerOpts {
  image?: string;
  command?: string[];
  env?: Record<string, string>;
  cpu?: number;
  memory?: number;
  timeout?: number;
  maxAttempts?: number;
  backoff?: ReturnType<typeof backoff>;
  taskRole?: string;
  maxConcurrency?: number | 'none';
  priority?: number;
  json?: boolean;
}

function workerOptions(cmd: Command, imageRequired: boolean): Command {
  const image: [string, string] = ['--image <image>', 'Docker image reference, e.g. busybox:1.36'];
  return (imageRequired ? cmd.requiredOption(...image) : cmd.option(...image))
    .option(
      '--command <arg>',
      "argv instead of the image's ENTRYPOINT and CMD (repeat per argument)",
      collect,
    )
    .option('--env <NAME=VALUE>', 'env for every job (repeatable)', collectEnv)
    .option('--cpu <units>', 'CPU units: 256 = 0.25 vCPU, ... 16384', positiveInt)
    .option('--memory <MiB>', 'memory in MiB', positiveInt)
    .option('--timeout <seconds>', 'job timeout', positiveInt)
    .option('--max-attempts <n>', 'attempts per job, 1-10', positiveInt)
    .option(
      '--backoff <policy>',
      'delay before retries: none, 1m, 10m, 1h, or seconds like 10,60,300',
      backoff,
    )
    .option('--task-role <arn>', "AWS only: an IAM role named runlater-job-* for the jobs' code")
    .option(
      '--max-concurrency <n>',
      'at most n jobs starting or running at once; the rest wait, queued (update: none lifts it)',
      limitOrNone,
    )
    .option('--priority <n>', 'default priority of its jobs, -1000..1000: higher starts first', integer)
    .addOption(jsonOption());
}

/** The settings the options give, over `base` (a worker's current settings, for update). */
function settings(opts: WorkerOpts, base?: Worker): UpdateWorkerInput {
  const retry = retryFrom(opts);
  const image = opts.image ?? base?.image;
  if (!image) throw new UsageError('--image is required');
  const pick = <T>(given: T | undefined, current: T | undefined) => (given !== undefined ? given : current);
  const command = pick(opts.command, base?.command);
  const cpu = pick(opts.cpu, base?.cpu);
  const memory = pick(opts.memory, base?.memory);
  const timeoutSeconds = pick(opts.timeout, base?.timeoutSeconds);
  const env = pick(opts.env, base?.env);
  const merged = retry && base ? { ...base.retry, ...retry } : (retry ?? base?.retry);
  const taskRoleArn = pick(opts.taskRole, base?.taskRoleArn);
  const maxConcurrency =
    opts.maxConcurrency === 'none' ? undefined : pick(opts.maxConcurrency, base?.maxConcurrency);
  const priority = pick(opts.priority, base?.priority);
  return {
    image,
    ...(command ? { command } : {}),
    ...(env ? { env } : {}),
    ...(cpu !== undefined ? { cpu } : {}),
    ...(memory !== undefined ? { memory } : {}),
    ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
    ...(merged ? { retry: merged } : {}),
    ...(taskRoleArn ? { taskRoleArn } : {}),
    ...(maxConcurrency !== undefined ? { maxConcurrency } : {}),
    ...(priority !== undefined ? { priority } : {}),
  };
}

export function registerWorkers(program: Command, connect: Connect): void {
  const workers = program
    .command('workers')
    .description('Register and manage workers (a Docker image plus defaults for its jobs)');

  workerOptions(workers.command('create').description('Register a worker').argument('<name>'), true).action(
    async (name: string, opts: WorkerOpts) => {
      const worker = await (await connect()).createWorker({ name, ...settings(opts) });
      if (opts.json) printJson(worker);
      else process.stdout.write(`worker ${worker.name} created\n`);
    },
  );

  workerOptions(
    workers
      .command('update')
      .description("Change a worker's settings; those not given stay as they are (--env replaces all env)")
      .argument('<name>'),
    false,
  ).action(async (name: string, opts: WorkerOpts) => {
    const client = await connect();
    // The API's PUT replaces every setting: start from the current ones so that
    // `workers update NAME --memory 2048` changes the memory only.
    const current = await client.getWorker(name);
    const worker = await client.updateWorker(name, settings(opts, current));
    if (opts.json) printJson(worker);
    else process.stdout.write(`worker ${worker.name} updated (revision ${worker.revision})\n`);
  });

  workers
    .command('list')
    .description('List workers')
    .addOption(jsonOption())
    .action(async (opts: { json?: boolean }) => {
      const list = await (await connect()).listWorkers();
      if (opts.json) printJson(list);
      else printWorkers(list);
    });

  workers
    .command('show')
    .description("Show a worker's settings")
    .argument('<name>')
    .addOption(jsonOption())
    .action(async (name: string, opts: { json?: boolean }) => {
      const worker = await (await connect()).getWorker(name);
      if (opts.json) printJson(worker);
      else printWorker(worker);
    });

  workers
    .command('stats')
    .description(
      "Count a worker's jobs: queued (and held back by --max-concurrency), starting, running, finished in the last hour and day",
    )
    .argument('<name>')
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nExamples:\n  runlater workers stats thumbnailer\n  runlater workers stats thumbnailer --json',
    )
    .action(async (name: string, opts: { json?: boolean }) => {
      const stats = await (await connect()).getWorkerStats(name);
      if (opts.json) printJson(stats);
      else printWorkerStats(stats);
    });

  workers
    .command('delete')
    .description('Delete a worker (its jobs stay readable)')
    .argument('<name>')
    .action(async (name: string) => {
      await (await connect()).deleteWorker(name);
      process.stdout.write(`worker ${name} deleted\n`);
    });
}
