import { Command, CommanderError } from 'commander';
import { RunlaterApiError, RunlaterClient } from '../../client/RunlaterClient.ts';
import { resolveConnection } from '../../client/config.ts';
import { registerDev } from './dev.ts';
import { registerJobs } from './jobs.ts';
import { registerPipe } from './pipe.ts';
import { registerLogin } from './login.ts';
import { UsageError, type Connect } from './options.ts';
import { registerSchedules } from './schedules.ts';
import { registerTokens } from './tokens.ts';
import { registerWorkers } from './workers.ts';

/**
 * The `runlater` CLI. Every verb is a thin call of the typed client (client/RunlaterClient.ts),
 * which programs can use themselves. Exit codes: 0 done, 1 the API (or the job) said no, 2 bad
 * usage; `jobs run --wait` exits with the job's own exit code.
 */
const program = new Command('runlater')
  .description('Run any container image later: workers, jobs with stdin and env, their status and output.')
  .option('--url <url>', 'API URL (default: RUNLATER_URL, the saved login, or the local dev server)')
  .option('--token <token>', 'API token (default: RUNLATER_TOKEN, the saved login, or .runlater/token)')
  .configureHelp({ showGlobalOptions: true })
  .showHelpAfterError('(add --help for usage)')
  .exitOverride();

const connect: Connect = async () => {
  const { url, token } = program.opts<{ url?: string; token?: string }>();
  return new RunlaterClient(await resolveConnection({ url, token }));
};

registerDev(program);
registerLogin(program);
registerWorkers(program, connect);
registerJobs(program, connect);
registerPipe(program, connect);
registerSchedules(program, connect);
registerTokens(program, connect);

// `runlater jobs logs ID | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(process.exitCode ?? 0);
});

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Commander has printed its message; --help and --version end here too, with code 0.
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else if (err instanceof UsageError) {
    process.stderr.write(`error: ${err.message}\n`);
    process.exitCode = 2;
  } else if (err instanceof RunlaterApiError) {
    process.stderr.write(`error: ${err.message} (${err.code})\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
