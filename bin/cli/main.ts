import { Command, CommanderError } from 'commander';
import { RunlaterApiError, RunlaterClient } from '../../client/RunlaterClient.ts';
import { RunlaterConfigError, resolveConnection } from '../../client/config.ts';
import manifest from '../../package.json' with { type: 'json' };
import { registerCompletion } from './completion.ts';
import { registerDev } from './dev.ts';
import { registerJobs } from './jobs.ts';
import { registerPipe } from './pipe.ts';
import { registerLogin } from './login.ts';
import { UsageError, type Connect, type GlobalOpts } from './options.ts';
import { examples } from './output.ts';
import { registerSchedules } from './schedules.ts';
import { registerSecrets } from './secrets.ts';
import { registerTokens } from './tokens.ts';
import { registerWorkers } from './workers.ts';

/**
 * The `runlater` CLI. Every verb is a thin call of the typed client (client/RunlaterClient.ts),
 * which programs can use themselves. Exit codes (docs/cli.md): 0 done, 1 the API (or the job)
 * said no, 2 bad usage, 124 `jobs wait --timeout` ran out, 130 interrupted; `jobs run --wait`
 * and `jobs wait` exit with the job's own exit code.
 */
const program = new Command('runlater')
  .description('Run any container image later: workers, jobs with stdin and env, their status and output.')
  .version(manifest.version, '-V, --version', 'print the version')
  .option('--url <url>', 'API URL (default: RUNLATER_URL, the saved login, or the local dev server)')
  .option('--token <token>', 'API token (default: RUNLATER_TOKEN, the saved login, or .runlater/token)')
  .option('-p, --profile <name>', 'saved login to use (default: RUNLATER_PROFILE, else "default")')
  .configureHelp({ showGlobalOptions: true })
  .showHelpAfterError('(add --help for usage)')
  .addHelpText(
    'after',
    examples(
      'runlater dev                                   # the API on this machine',
      'runlater workers create echo --image busybox --command cat',
      'echo hi | runlater jobs run echo --stdin - --wait',
      'runlater jobs list -o json',
      'source <(runlater completion bash)',
    ) + "\nDocs: docs/cli.md. Exit codes: 0 done, 1 error, 2 bad usage; --wait: the job's own.\n",
  )
  .exitOverride();

const connect: Connect = async () => {
  const { url, token, profile } = program.opts<GlobalOpts>();
  return new RunlaterClient(await resolveConnection({ url, token, profile }));
};

registerDev(program);
registerLogin(program);
registerWorkers(program, connect);
registerJobs(program, connect);
registerPipe(program, connect);
registerSchedules(program, connect);
registerTokens(program, connect);
registerSecrets(program, connect);
registerCompletion(program);

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
  } else if (err instanceof RunlaterConfigError) {
    process.stderr.write(`error: ${err.message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
