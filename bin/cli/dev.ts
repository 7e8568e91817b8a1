import type { Command } from 'commander';
import { positiveInt } from './options.ts';

export function registerDev(program: Command): void {
  program
    .command('dev')
    .description('Run the API on this machine: jobs run in Docker, data under .runlater/')
    .option('--port <port>', 'port to listen on (default: PORT or 8080)', positiveInt)
    .option('--host <host>', 'address to listen on (default: 127.0.0.1)')
    .option('--data-dir <dir>', 'where data is kept (default: RUNLATER_DATA_DIR or .runlater)')
    .action(async (opts: { port?: number; host?: string; dataDir?: string }) => {
      // Imported here: the dev server pulls in dynalite and Docker, which no other verb needs.
      const { startDevServer } = await import('../../local/devServer.ts');
      const server = await startDevServer({
        ...(opts.port !== undefined ? { port: opts.port } : {}),
        ...(opts.host ? { host: opts.host } : {}),
        ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
      });
      process.stdout.write(
        `runlater dev: listening on ${server.url}\n` +
          `  token: ${server.token}\n` +
          `  data:  ${server.dataDir} (the CLI reads the token from ${server.dataDir}/token)\n`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      // A second Ctrl-C while closing means "now".
      const force = () => process.exit(130);
      process.once('SIGINT', force);
      process.once('SIGTERM', force);
      process.stdout.write('runlater dev: stopping (running jobs are taken up again at the next start)\n');
      await server.close();
      // Docker and dynalite clients may keep sockets open after close; nothing is left to wait for.
      process.exit(0);
    });
}
