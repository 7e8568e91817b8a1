import { Option, type Command } from 'commander';
import { collectChoice, jsonOption, type Connect } from './options.ts';
import { printJson, printTable } from './output.ts';

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
    .action(async (opts: { name: string; scope?: ('admin' | 'jobs')[] }) => {
      const made = await (await connect()).createToken(opts.name, opts.scope ?? ['jobs']);
      process.stdout.write(`${made.token}\n`);
      process.stderr.write(`token ${made.id} (${made.scopes.join(', ')}): shown once, keep it safe\n`);
    });

  tokens
    .command('bootstrap')
    .description(
      "Make a deployment's first admin token, writing its hash to the tokens table with your AWS credentials",
    )
    .requiredOption('--table <name>', 'the TokensTable output of the stack')
    .option('--region <region>', 'AWS region (default: AWS_REGION)')
    .option('--name <name>', 'what the token is for', 'admin')
    .action(async (opts: { table: string; region?: string; name: string }) => {
      // Imported here: only this verb needs the AWS SDK.
      const { bootstrapToken } = await import('./bootstrapToken.ts');
      const made = await bootstrapToken(opts);
      process.stdout.write(`${made.token}\n`);
      process.stderr.write(`admin token ${made.id} written to ${opts.table}; shown once, keep it safe\n`);
    });

  tokens
    .command('list')
    .description('List tokens (their ids and names, never the tokens)')
    .addOption(jsonOption())
    .action(async (opts: { json?: boolean }) => {
      const list = await (await connect()).listTokens();
      if (opts.json) return printJson(list);
      printTable(
        ['ID', 'NAME', 'SCOPES', 'CREATED'],
        list.map((t) => [t.id, t.name, t.scopes.join(','), t.createdAt]),
      );
    });

  tokens
    .command('revoke')
    .description('Revoke a token')
    .argument('<id>')
    .action(async (id: string) => {
      await (await connect()).revokeToken(id);
      process.stdout.write(`token ${id} revoked\n`);
    });
}
