import type { Command } from 'commander';
import { collectEnv, readStdinArg, type Connect } from './options.ts';
import { emit, examples, outputOption, printTable, say, type Format } from './output.ts';

interface CreateOpts {
  worker: string;
  expression: string;
  timezone?: string;
  env?: Record<string, string>;
  stdin?: string;
  paused?: boolean;
  output: Format;
}

export function registerSchedules(program: Command, connect: Connect): void {
  const schedules = program
    .command('schedules')
    .description('Recurring schedules: each run queues a normal job');

  schedules
    .command('create')
    .description('Create a schedule')
    .argument('<name>')
    .requiredOption('--worker <name>', 'the worker each run is a job of')
    .requiredOption(
      '--expression <expr>',
      'rate(5 minutes) or cron(0 6 * * ? *) (EventBridge Scheduler syntax)',
    )
    .option('--timezone <tz>', 'IANA time zone for cron (default: UTC)')
    .option('--env <NAME=VALUE>', 'env for each run (repeatable)', collectEnv)
    .option('--stdin <file>', "file to send as each run's stdin, or - for standard input")
    .option('--paused', 'create it paused')
    .addOption(outputOption())
    .addHelpText(
      'after',
      examples(
        "runlater schedules create nightly --worker report --expression 'cron(0 2 * * ? *)' --timezone Europe/Paris",
        "runlater schedules create poll --worker fetch --expression 'rate(5 minutes)' --env URL=https://example.com",
        "runlater schedules create later --worker report --expression 'rate(1 hour)' --paused -o json",
      ),
    )
    .action(async (name: string, opts: CreateOpts) => {
      const client = await connect();
      const stdin = opts.stdin !== undefined ? await readStdinArg(opts.stdin) : undefined;
      const job = {
        ...(opts.env ? { env: opts.env } : {}),
        ...(stdin ? { stdinBase64: stdin.toString('base64') } : {}),
      };
      const schedule = await client.createSchedule({
        name,
        worker: opts.worker,
        expression: opts.expression,
        ...(opts.timezone ? { timezone: opts.timezone } : {}),
        ...(Object.keys(job).length ? { job } : {}),
        paused: Boolean(opts.paused),
      });
      emit(opts.output, schedule, () =>
        say(opts.output, `schedule ${name} created; next run ${schedule.nextRunAt ?? '(paused)'}`),
      );
    });

  schedules
    .command('list')
    .description('List schedules')
    .addOption(outputOption())
    .addHelpText('after', examples('runlater schedules list', 'runlater schedules list -o yaml'))
    .action(async (opts: { output: Format }) => {
      const list = await (await connect()).listSchedules();
      emit(opts.output, { schedules: list }, () =>
        printTable(
          ['NAME', 'WORKER', 'EXPRESSION', 'TIMEZONE', 'STATE', 'NEXT RUN', 'LAST JOB'],
          list.map((s) => [s.name, s.worker, s.expression, s.timezone, s.state, s.nextRunAt, s.lastJobId]),
        ),
      );
    });

  schedules
    .command('show')
    .description('Show a schedule')
    .argument('<name>')
    .addOption(outputOption())
    .addHelpText(
      'after',
      examples('runlater schedules show nightly', 'runlater schedules show nightly -o json'),
    )
    .action(async (name: string, opts: { output: Format }) => {
      const s = await (await connect()).getSchedule(name);
      emit(opts.output, s, () =>
        printTable(
          ['NAME', 'WORKER', 'EXPRESSION', 'TIMEZONE', 'STATE', 'NEXT RUN', 'LAST JOB'],
          [[s.name, s.worker, s.expression, s.timezone, s.state, s.nextRunAt, s.lastJobId]],
        ),
      );
    });

  for (const [verb, paused] of [
    ['pause', true],
    ['resume', false],
  ] as const) {
    schedules
      .command(verb)
      .description(`${paused ? 'Pause' : 'Resume'} a schedule`)
      .argument('<name>')
      .addOption(outputOption())
      .addHelpText(
        'after',
        examples(`runlater schedules ${verb} nightly`, `runlater schedules ${verb} nightly -o json`),
      )
      .action(async (name: string, opts: { output: Format }) => {
        const s = await (await connect()).pauseSchedule(name, paused);
        emit(opts.output, s, () => say(opts.output, `schedule ${name} ${s.state}`));
      });
  }

  schedules
    .command('delete')
    .description('Delete a schedule (the jobs it queued stay)')
    .argument('<name>')
    .addOption(outputOption())
    .addHelpText(
      'after',
      examples('runlater schedules delete nightly', 'runlater schedules delete nightly -o json'),
    )
    .action(async (name: string, opts: { output: Format }) => {
      await (await connect()).deleteSchedule(name);
      // The API answers 204 with no body: with -o json|yaml nothing is printed either.
      say(opts.output, `schedule ${name} deleted`);
    });
}
