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
