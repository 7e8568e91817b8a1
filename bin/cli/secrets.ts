import type { Command } from 'commander';
import { UsageError, type Connect } from './options.ts';
import { emit, examples, outputOption, printTable, say, type Format } from './output.ts';

/** `runlater secrets`: secrets kept by runlater dev, named by workers' `secrets`. */
export function registerSecrets(program: Command, connect: Connect): void {
  const secrets = program
    .command('secrets')
    .description('Secrets kept by runlater dev (admin); on AWS use Secrets Manager or SSM under runlater/');

  secrets
    .command('set')
    .description(
      'Set a secret from standard input (one trailing newline is dropped); its value is never shown',
    )
    .argument('<name>')
    .addOption(outputOption())
    .addHelpText(
      'after',
      examples(
        'runlater secrets set api-key < api-key.txt',
        'runlater secrets set db-password -o json < db-password.txt',
      ),
    )
    .action(async (name: string, opts: { output: Format }) => {
      // From stdin only: never from an argument, which shell history and `ps` would keep.
      if (process.stdin.isTTY) process.stderr.write(`value of ${name} (end with Ctrl-D): `);
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      const value = Buffer.concat(chunks)
        .toString('utf8')
        .replace(/\r?\n$/, '');
      if (value === '') throw new UsageError('no value on standard input');
      await (await connect()).setSecret(name, value);
      emit(opts.output, { name, set: true }, () => say(opts.output, `secret ${name} set`));
    });

  secrets
    .command('list')
    .description('List secrets by name (never their values)')
    .addOption(outputOption())
    .addHelpText('after', examples('runlater secrets list', 'runlater secrets list -o json'))
    .action(async (opts: { output: Format }) => {
      const list = await (await connect()).listSecrets();
      if (opts.output !== 'table') return emit(opts.output, { secrets: list }, () => undefined);
      printTable(
        ['NAME', 'UPDATED'],
        list.map((s) => [s.name, s.updatedAt]),
      );
    });

  secrets
    .command('delete')
    .description('Delete a secret (jobs of workers that name it then fail to start)')
    .argument('<name>')
    .addOption(outputOption())
    .addHelpText(
      'after',
      examples('runlater secrets delete db-password', 'runlater secrets delete db-password -o json'),
    )
    .action(async (name: string, opts: { output: Format }) => {
      await (await connect()).deleteSecret(name);
      emit(opts.output, { name, deleted: true }, () => say(opts.output, `secret ${name} deleted`));
    });
}
