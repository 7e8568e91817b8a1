import type { Command } from 'commander';
import type { UpdateWorkerInput, Worker } from '../../client/RunlaterClient.ts';
import {
  backoff,
  collect,
  collectEnv,
  integer,
  limitOrNone,
  positiveInt,
  retryFrom,
  UsageError,
  type Connect,
} from './options.ts';
import {
  emit,
  examples,
  outputOption,
  printWorker,
  printWorkers,
  printWorkerStats,
  say,
  type Format,
} from './output.ts';

type NotifyEvent = NonNullable<NonNullable<UpdateWorkerInput['notify']>['events']>[number];

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
  notify?: string;
  notifyEvent?: string[];
  secret?: Record<string, string>;
  registryAuth?: string;
  maxConcurrency?: number | 'none';
  priority?: number;
  output: Format;
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
    .option('--notify <url>', "POST each of its jobs, signed, to this URL when it ends (a job's own wins)")
    .option(
      '--notify-event <event>',
      'with --notify: job.finished (default), job.started, attempt.ended (repeatable)',
      collect,
    )
    .option(
      '--secret <NAME=REF>',
      'env NAME from a secret: a name set with `secrets set` locally, an ARN under runlater/ on AWS (repeatable; replaces all secrets)',
      collectEnv,
    )
    .option(
      '--registry-auth <ref>',
      'secret holding {"username","password"} for a private registry (an ARN under runlater/ on AWS)',
    )
    .option(
      '--max-concurrency <n>',
      'at most n jobs starting or running at once; the rest wait, queued (update: none lifts it)',
      limitOrNone,
    )
    .option('--priority <n>', 'default priority of its jobs, -1000..1000: higher starts first', integer)
    .addOption(outputOption());
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
  const notify = opts.notify
    ? { url: opts.notify, ...(opts.notifyEvent ? { events: opts.notifyEvent as NotifyEvent[] } : {}) }
    : base?.notify;
  const secrets = pick(opts.secret, base?.secrets);
  const registryCredentials = pick(opts.registryAuth, base?.registryCredentials);
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
    ...(notify ? { notify } : {}),
    ...(secrets ? { secrets } : {}),
    ...(registryCredentials ? { registryCredentials } : {}),
    ...(maxConcurrency !== undefined ? { maxConcurrency } : {}),
    ...(priority !== undefined ? { priority } : {}),
  };
}

export function registerWorkers(program: Command, connect: Connect): void {
  const workers = program
    .command('workers')
    .description('Register and manage workers (a Docker image plus defaults for its jobs)');

  workerOptions(
    workers
      .command('create')
      .description('Register a worker')
      .argument('<name>')
      .addHelpText(
        'after',
        examples(
          'runlater workers create echo --image busybox:1.36 --command cat',
          'runlater workers create thumbs --image ghcr.io/acme/thumbs:2 --env SIZE=256 --max-attempts 3 --backoff 1m',
          'runlater workers create sh --image alpine --command sh --command -c --command "wc -c" -o json',
        ),
      ),
    true,
  ).action(async (name: string, opts: WorkerOpts) => {
    const worker = await (await connect()).createWorker({ name, ...settings(opts) });
    emit(opts.output, worker, () =>
      say(opts.output, `worker ${worker.name} created\nwebhook secret (shown once): ${worker.webhookSecret}`),
    );
  });

  workerOptions(
    workers
      .command('update')
      .description("Change a worker's settings; those not given stay as they are (--env replaces all env)")
      .argument('<name>')
      .addHelpText(
        'after',
        examples(
          'runlater workers update thumbs --memory 2048',
          'runlater workers update thumbs --image ghcr.io/acme/thumbs:3 --env SIZE=128 -o yaml',
        ),
      ),
    false,
  ).action(async (name: string, opts: WorkerOpts) => {
    const client = await connect();
    // The API's PUT replaces every setting: start from the current ones so that
    // `workers update NAME --memory 2048` changes the memory only.
    const current = await client.getWorker(name);
    const worker = await client.updateWorker(name, settings(opts, current));
    emit(opts.output, worker, () =>
      say(opts.output, `worker ${worker.name} updated (revision ${worker.revision})`),
    );
  });

  workers
    .command('list')
    .description('List workers')
    .addOption(outputOption())
    .addHelpText(
      'after',
      examples('runlater workers list', 'runlater workers list -o json | jq -r ".workers[].name"'),
    )
    .action(async (opts: { output: Format }) => {
      const list = await (await connect()).listWorkers();
      emit(opts.output, { workers: list }, () => printWorkers(list));
    });

  workers
    .command('show')
    .description("Show a worker's settings")
    .argument('<name>')
    .addOption(outputOption())
    .addHelpText('after', examples('runlater workers show echo', 'runlater workers show echo -o json'))
    .action(async (name: string, opts: { output: Format }) => {
      const worker = await (await connect()).getWorker(name);
      emit(opts.output, worker, () => printWorker(worker));
    });

  workers
    .command('rotate-secret')
    .description("Replace a worker's webhook secret and print the new one (shown this once)")
    .argument('<name>')
    .addOption(outputOption())
    .addHelpText(
      'after',
      examples(
        'runlater workers rotate-secret thumbnailer',
        'runlater workers rotate-secret thumbnailer -o json',
      ),
    )
    .action(async (name: string, opts: { output: Format }) => {
      const secret = await (await connect()).rotateWebhookSecret(name);
      emit(opts.output, secret, () => say(opts.output, secret.webhookSecret));
    });

  workers
    .command('stats')
    .description(
      "Count a worker's jobs: queued (and held back by --max-concurrency), starting, running, finished in the last hour and day",
    )
    .argument('<name>')
    .addOption(outputOption())
    .addHelpText(
      'after',
      examples('runlater workers stats thumbnailer', 'runlater workers stats thumbnailer -o json'),
    )
    .action(async (name: string, opts: { output: Format }) => {
      const stats = await (await connect()).getWorkerStats(name);
      emit(opts.output, stats, () => printWorkerStats(stats));
    });

  workers
    .command('delete')
    .description('Delete a worker (its jobs stay readable)')
    .argument('<name>')
    .addOption(outputOption())
    .addHelpText('after', examples('runlater workers delete echo', 'runlater workers delete echo -o json'))
    .action(async (name: string, opts: { output: Format }) => {
      await (await connect()).deleteWorker(name);
      // The API answers 204 with no body: with -o json|yaml nothing is printed either.
      say(opts.output, `worker ${name} deleted`);
    });
}
