import { Option, type Command } from 'commander';
import { collectChoice, type Connect } from './options.ts';
import { emit, examples, outputOption, printTable, say, type Format } from './output.ts';

export function registerTokens(program: Command, connect: Connect): void {
  const tokens = program.command('tokens').description('API tokens (admin)');

  tokens
    .command('create')
    .description('Make a token; it is printed once')
    .requiredOption('--name <name>', 'what the token is for')
    .addOption(
      new Option('--scope <scope>', 'admin or jobs (repeatable; default: jobs)').argParser(
        collectChoice(['admin', 'jobs']),
      ),
    )
    .addOption(outputOption())
    .addHelpText(
      'after',
      examples(
        'runlater tokens create --name ci > ci-token.txt',
        'runlater tokens create --name ops --scope admin -o json',
      ),
    )
    .action(async (opts: { name: string; scope?: ('admin' | 'jobs')[]; output: Format }) => {
      const made = await (await connect()).createToken(opts.name, opts.scope ?? ['jobs']);
      emit(opts.output, made, () => {
        say(opts.output, made.token);
        process.stderr.write(`token ${made.id} (${made.scopes.join(', ')}): shown once, keep it safe\n`);
      });
    });

  tokens
    .command('bootstrap')
    .description(
      "Make a deployment's first admin token, writing its hash to the tokens table with your AWS credentials",
    )
    .requiredOption('--table <name>', 'the TokensTable output of the stack')
    .option('--region <region>', 'AWS region (default: AWS_REGION)')
    .option('--name <name>', 'what the token is for', 'admin')
    .addOption(outputOption())
    .addHelpText(
      'after',
      examples(
        'runlater tokens bootstrap --table RunLater-TokensTable-ABC123 --region eu-west-1 > admin-token.txt',
        'runlater tokens bootstrap --table RunLater-TokensTable-ABC123 -o json',
      ),
    )
    .action(async (opts: { table: string; region?: string; name: string; output: Format }) => {
      // Imported here: only this verb needs the AWS SDK.
      const { bootstrapToken } = await import('./bootstrapToken.ts');
      const made = await bootstrapToken(opts);
      emit(opts.output, made, () => {
        say(opts.output, made.token);
        process.stderr.write(`admin token ${made.id} written to ${opts.table}; shown once, keep it safe\n`);
      });
    });

  tokens
    .command('list')
    .description('List tokens (their ids and names, never the tokens)')
    .addOption(outputOption())
    .addHelpText('after', examples('runlater tokens list', 'runlater tokens list -o json'))
    .action(async (opts: { output: Format }) => {
      const list = await (await connect()).listTokens();
      emit(opts.output, { tokens: list }, () =>
        printTable(
          ['ID', 'NAME', 'SCOPES', 'CREATED'],
          list.map((t) => [t.id, t.name, t.scopes.join(','), t.createdAt]),
        ),
      );
    });

  tokens
    .command('revoke')
    .description('Revoke a token')
    .argument('<id>')
    .addOption(outputOption())
    .addHelpText('after', examples('runlater tokens revoke 01JZ8…', 'runlater tokens revoke 01JZ8… -o json'))
    .action(async (id: string, opts: { output: Format }) => {
      await (await connect()).revokeToken(id);
      // The API answers 204 with no body: with -o json|yaml nothing is printed either.
      say(opts.output, `token ${id} revoked`);
    });
}
