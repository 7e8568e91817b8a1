import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A data directory's job containers alive now (created or running), per Docker itself. */
export async function jobContainersAlive(dataDir: string): Promise<number> {
  const { stdout } = await run('docker', [
    'ps',
    '-q',
    '--filter',
    `label=runlater.dataDir=${dataDir}`,
    '--filter',
    'label=runlater.task', // not the network sandboxes jobs join, which carry the data dir's label too
    '--filter',
    'status=created',
    '--filter',
    'status=running',
  ]);
  return stdout.split('\n').filter(Boolean).length;
}

/**
 * Removes every container a data directory left in Docker (jobs' and network sandboxes'): a test
 * that ends with its server killed, or stopped while jobs run, leaves them running otherwise.
 */
export async function removeContainersOf(dataDir: string): Promise<void> {
  const { stdout } = await run('docker', ['ps', '-aq', '--filter', `label=runlater.dataDir=${dataDir}`]);
  const ids = stdout.split('\n').filter(Boolean);
  if (ids.length > 0) await run('docker', ['rm', '-f', ...ids]).catch(() => undefined);
}
