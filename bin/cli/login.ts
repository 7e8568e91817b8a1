import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { RunlaterClient } from '../../client/RunlaterClient.ts';
import {
  profileName,
  profilePath,
  removeProfile,
  resolveConnection,
  saveProfile,
} from '../../client/config.ts';
import { UsageError, type GlobalOpts } from './options.ts';
import { emit, examples, outputOption, printTable, say, type Format } from './output.ts';

/** `login`, `logout`, `whoami`: saved logins (profiles) in ~/.config/runlater/config.json. */
export function registerLogin(program: Command): void {
  const globals = () => program.opts<GlobalOpts>();

  program
    .command('login')
    .description("Save a runlater API's URL and token for later commands, as a profile")
    .argument('<url>', 'the API URL, e.g. the ApiUrl output of cdk deploy')
    .addOption(outputOption())
    .addHelpText(
      'after',
      '\nThe token comes from --token, else RUNLATER_TOKEN, else the first line of standard input\n' +
        '(so it need not appear in your shell history). The profile is --profile, else\n' +
        'RUNLATER_PROFILE, else "default"; later commands use it the same way.\n' +
        examples(
          'runlater login https://abc123.execute-api.eu-west-1.amazonaws.com < token.txt',
          'runlater --profile staging login https://def456.execute-api.eu-west-1.amazonaws.com --token "$T"',
          'RUNLATER_PROFILE=staging runlater jobs list',
        ),
    )
    .action(async (url: string, opts: { output: Format }) => {
      const name = profileName(globals().profile);
      const token = globals().token || process.env.RUNLATER_TOKEN || (await readLine());
      if (!token) throw new UsageError('no token: give --token T, or the token on standard input');
      // Refuse to save what does not work: a typo found now beats a 401 on every later command.
      await new RunlaterClient({ url, token }).listJobs({ limit: 1 });
      const path = await saveProfile({ url, token }, process.env, name);
      emit(opts.output, { profile: name, url, path }, () =>
        say(opts.output, `logged in to ${url} as profile ${name} (saved in ${path})`),
      );
    });

  program
    .command('logout')
    .description('Forget a saved login (the profile, else RUNLATER_PROFILE, else "default")')
    .addOption(outputOption())
    .addHelpText('after', examples('runlater logout', 'runlater --profile staging logout -o json'))
    .action(async (opts: { output: Format }) => {
      const name = profileName(globals().profile);
      const removed = await removeProfile(process.env, name);
      emit(opts.output, { profile: name, removed }, () =>
        say(opts.output, removed ? `logged out of profile ${name}` : `no profile ${name} was saved`),
      );
    });

  program
    .command('whoami')
    .description('Show which server and token the other commands would use, and check the token')
    .addOption(outputOption())
    .addHelpText('after', examples('runlater whoami', 'runlater --profile staging whoami -o json'))
    .action(async (opts: { output: Format }) => {
      const { url, token, profile } = globals();
      const connection = await resolveConnection({ url, token, profile });
      // Any call that needs a token proves it; a `jobs` scope suffices for this one.
      await new RunlaterClient(connection).listJobs({ limit: 1 });
      const who = {
        url: connection.url,
        profile: connection.source === profilePath() ? profileName(profile) : null,
        tokenFrom: connection.source,
      };
      emit(opts.output, who, () =>
        printTable(['URL', 'PROFILE', 'TOKEN FROM'], [[who.url, who.profile, who.tokenFrom]]),
      );
    });
}

async function readLine(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('token: ');
  const lines = createInterface({ input: process.stdin });
  try {
    for await (const line of lines) return line.trim();
    return '';
  } finally {
    lines.close();
  }
}
