import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { RunlaterClient } from '../../client/RunlaterClient.ts';
import { saveProfile } from '../../client/config.ts';
import { UsageError } from './options.ts';

export function registerLogin(program: Command): void {
  program
    .command('login')
    .description("Save a runlater API's URL and token for later commands (~/.config/runlater/config.json)")
    .argument('<url>', 'the API URL, e.g. the ApiUrl output of cdk deploy')
    .addHelpText(
      'after',
      '\nThe token comes from --token, else RUNLATER_TOKEN, else the first line of standard input\n' +
        '(so it need not appear in your shell history): `runlater login URL < token.txt`.',
    )
    .action(async (url: string) => {
      const token =
        program.opts<{ token?: string }>().token || process.env.RUNLATER_TOKEN || (await readLine());
      if (!token) throw new UsageError('no token: give --token T, or the token on standard input');
      // Refuse to save what does not work: a typo found now beats a 401 on every later command.
      await new RunlaterClient({ url, token }).listJobs({ limit: 1 });
      const path = await saveProfile({ url, token });
      process.stdout.write(`logged in to ${url} (saved in ${path})\n`);
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
