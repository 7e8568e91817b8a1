import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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

const RECIPE_LABEL = 'runlater.test.recipe';

let ready: Promise<void> | undefined;

/** Builds the test images once per process; an image already built from the same recipe is kept. */
export function ensureTestImages(): Promise<void> {
  ready ??= build().catch((err: unknown) => {
    ready = undefined;
    throw err;
  });
  return ready;
}

async function build(): Promise<void> {
  const busyboxPath = process.env.RUNLATER_BUSYBOX ?? '/bin/busybox';
  const busybox = await readFile(busyboxPath);
  for (const [name, lines] of Object.entries(TEST_IMAGES)) {
    const tag = `runlater-test/${name}`;
    const recipe = createHash('sha256').update(lines.join('\n')).update(busybox).digest('hex').slice(0, 16);
    if ((await labelOf(tag)) === recipe) continue;
    const context = await mkdtemp(join(tmpdir(), 'runlater-image-'));
    try {
      await writeFile(join(context, 'busybox'), busybox, { mode: 0o755 });
      await writeFile(
        join(context, 'Dockerfile'),
        [...lines, `LABEL ${RECIPE_LABEL}=${recipe}`, ''].join('\n'),
      );
      await run('docker', ['build', '-q', '-t', tag, context], {
        env: { ...process.env, DOCKER_BUILDKIT: '0' },
      });
    } finally {
      await rm(context, { recursive: true, force: true });
    }
  }
}

async function labelOf(tag: string): Promise<string | undefined> {
  try {
    const { stdout } = await run('docker', [
      'image',
      'inspect',
      '--format',
      `{{ index .Config.Labels "${RECIPE_LABEL}" }}`,
      tag,
    ]);
    return stdout.trim();
  } catch {
    return undefined; // not built yet
  }
}
