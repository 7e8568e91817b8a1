import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { DockerTaskLauncher } from '../../lambdas/adapters/docker/DockerTaskLauncher.ts';
import { FileStdinStore } from '../../lambdas/adapters/local/FileStdinStore.ts';
import type { TaskUpdate } from '../../lambdas/core/ports.ts';
import type { Worker } from '../../lambdas/core/schemas.ts';
import { ensureTestImages } from '../support/images.ts';
import { fakeEcsSubject } from './fakeEcs.ts';
import { attemptSpec, taskLauncherConformance, type Program } from './suites/taskLauncherSuite.ts';

taskLauncherConformance('DockerTaskLauncher on real Docker', async () => {
  await ensureTestImages();
  const dataDir = await mkdtemp(join(tmpdir(), 'runlater-conformance-'));
  const stdinStore = new FileStdinStore(join(dataDir, 'stdin'));
  const updates: TaskUpdate[] = [];
  const launchers: DockerTaskLauncher[] = [];
  const make = (docker?: Docker) => {
    const launcher = new DockerTaskLauncher({
      dataDir,
      stdinStore,
      stopGraceSeconds: 1,
      onTaskEvent: async (u) => void updates.push(u),
      ...(docker ? { docker } : {}),
    });
    launchers.push(launcher);
    return launcher;
  };
  const programs: Record<string, Partial<Worker>> = {
    runs: { command: ['sleep', '60'] },
    'no-image': { image: 'localhost:1/runlater-conformance/none:1' },
  };
  return {
    launcher: make(),
    updates,
    spec: (program: Program) =>
      attemptSpec(
        typeof program === 'string' ? programs[program]! : { command: ['sh', '-c', `exit ${program.exit}`] },
      ),
    unavailable: () => make(new Docker({ socketPath: join(dataDir, 'no-docker.sock') })),
    close: async () => {
      for (const l of launchers) await l.close();
      const docker = new Docker();
      const left = await docker.listContainers({
        all: true,
        filters: { label: [`runlater.dataDir=${dataDir}`] },
      });
      for (const c of left) await docker.getContainer(c.Id).remove({ force: true });
      await rm(dataDir, { recursive: true, force: true });
    },
  };
});

taskLauncherConformance('EcsTaskLauncher (ECS mocked, its events through the ECS adapter)', async () =>
  fakeEcsSubject(),
);
