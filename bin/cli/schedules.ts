import type { Command } from 'commander';
import { collectEnv, jsonOption, readStdinArg, type Connect } from './options.ts';
import { printJson, printTable } from './output.ts';

interface CreateOpts {
  worker: string;
  expression: string;
  timezone?: string;
  env?: Record<string, string>;
  stdin?: string;
  paused?: boolean;
  json?: boolean;
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
    .addOption(jsonOption())
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
      if (opts.json) printJson(schedule);
      else process.stdout.write(`schedule ${name} created; next run ${schedule.nextRunAt ?? '(paused)'}\n`);
    });

  schedules
    .command('list')
    .description('List schedules')
    .addOption(jsonOption())
    .action(async (opts: { json?: boolean }) => {
      const list = await (await connect()).listSchedules();
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
      .description(`${paused ? 'Pause' : 'Resume'} a schedule`)
      .argument('<name>')
      .action(async (name: string) => {
        const s = await (await connect()).pauseSchedule(name, paused);
        process.stdout.write(`schedule ${name} ${s.state}\n`);
      });
  }

  schedules
    .command('delete')
    .description('Delete a schedule (the jobs it queued stay)')
    .argument('<name>')
    .action(async (name: string) => {
      await (await connect()).deleteSchedule(name);
      process.stdout.write(`schedule ${name} deleted\n`);
    });
}
