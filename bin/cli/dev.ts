import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Option, type Command } from 'commander';
import { devServerPointerPath } from '../../client/config.ts';
import { positiveInt } from './options.ts';
import { emit, examples, outputOption, type Format } from './output.ts';

export function registerDev(program: Command): void {
  program
    .command('dev')
    .description('Run the API on this machine: jobs run in Docker, data under .runlater/')
    .option('--port <port>', 'port to listen on (default: PORT or 8080)', positiveInt)
    .option('--host <host>', 'address to listen on (default: 127.0.0.1)')
    .option('--data-dir <dir>', 'where data is kept (default: RUNLATER_DATA_DIR or .runlater)')
    .addOption(
      new Option('--log-format <format>', 'one line per request and job change, as text or JSON')
        .choices(['text', 'json'])
        .default('text'),
    )
    .addOption(outputOption())
    .addHelpText(
      'after',
      examples(
        'runlater dev',
        'PORT=9090 runlater dev --data-dir /tmp/rl   # the CLI in another shell still finds it',
        'runlater dev --log-format json | jq -c .',
        'curl -s http://127.0.0.1:8080/metrics       # Prometheus metrics',
      ),
    )
    .action(async (opts: DevOpts) => {
      // Imported here: the dev server pulls in dynalite and Docker, which no other verb needs.
      const { startDevServer } = await import('../../local/devServer.ts');
      const server = await startDevServer({
        ...(opts.port !== undefined ? { port: opts.port } : {}),
        ...(opts.host ? { host: opts.host } : {}),
        ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
        logFormat: opts.logFormat,
      });
      // For a CLI started elsewhere, without this data dir or PORT: it looks here last.
      const pointer = devServerPointerPath();
      const note = { url: server.url, dataDir: server.dataDir, pid: process.pid };
      await mkdir(dirname(pointer), { recursive: true });
      await writeFile(pointer, `${JSON.stringify(note, null, 2)}\n`);
      emit(opts.output, { url: server.url, token: server.token, dataDir: server.dataDir }, () =>
        process.stdout.write(
          `runlater dev: listening on ${server.url}\n` +
            `  token: ${server.token}\n` +
            `  data:  ${server.dataDir} (the CLI reads the token from ${server.dataDir}/token)\n`,
        ),
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      // A second Ctrl-C while closing means "now".
      const force = () => process.exit(130);
      process.once('SIGINT', force);
      process.once('SIGTERM', force);
      process.stderr.write('runlater dev: stopping (running jobs are taken up again at the next start)\n');
      // Only our own note: a dev server started after this one may have replaced it.
      const still = await readFile(pointer, 'utf8').then(
        (t) => JSON.parse(t) as { pid?: number },
        () => ({ pid: undefined }),
      );
      if (still.pid === process.pid) await rm(pointer, { force: true });
      await server.close();
      // Docker and dynalite clients may keep sockets open after close; nothing is left to wait for.
      process.exit(0);
    });
}

interface DevOpts {
  port?: number;
  host?: string;
  dataDir?: string;
  logFormat: 'text' | 'json';
  output: Format;
}
