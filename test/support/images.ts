import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The images the tests run, built here from Debian's static busybox since nothing can be pulled:
 * - runlater-test/busybox: FROM scratch, busybox and its applets on PATH, no ENTRYPOINT.
 * - runlater-test/noshell: FROM scratch with nothing but one static binary, `/cat`, as ENTRYPOINT
 *   (busybox run under the name cat behaves as cat). No shell anywhere in it.
 */
export const TEST_IMAGES = {
  busybox: [
    'FROM scratch',
    'COPY busybox /bin/busybox',
    'RUN ["/bin/busybox", "--install", "-s", "/bin"]',
    'ENV PATH=/bin',
  ],
  noshell: ['FROM scratch', 'COPY busybox /cat', 'ENTRYPOINT ["/cat"]'],
} as const;

let ready: Promise<void> | undefined;

export function ensureTestImages(): Promise<void> {
  ready ??= build();
  return ready;
}

async function build(): Promise<void> {
  for (const [name, lines] of Object.entries(TEST_IMAGES)) {
    const tag = `runlater-test/${name}`;
    const context = await mkdtemp(join(tmpdir(), 'runlater-image-'));
    try {
      await copyFile(process.env.RUNLATER_BUSYBOX ?? '/bin/busybox', join(context, 'busybox'));
      await writeFile(join(context, 'Dockerfile'), `${lines.join('\n')}\n`);
      await run('docker', ['build', '-q', '-t', tag, context], {
        env: { ...process.env, DOCKER_BUILDKIT: '0' },
      });
    } finally {
      await rm(context, { recursive: true, force: true });
    }
  }
}
