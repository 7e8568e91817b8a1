import type Docker from 'dockerode';
import type { TaskSpec } from '../../core/ports.ts';
import { DEFAULT_PIDS_LIMIT } from '../../core/limits.ts';
import { containerEnvironment } from '../../core/taskSpec.ts';

export const LABEL = {
  task: 'runlater.task',
  job: 'runlater.job',
  attempt: 'runlater.attempt',
  timeout: 'runlater.timeout',
  /** Which runner owns the container: two dev servers (or test suites) on one engine leave each other's alone. */
  owner: 'runlater.dataDir',
  /** On a network sandbox (NetworkSandboxes.ts): the image whose jobs it serves. */
  sandbox: 'runlater.sandbox',
  /** On a job's container: the sandbox whose network it joined, if any. */
  inSandbox: 'runlater.inSandbox',
} as const;

/** The files Docker shares from a network sandbox: each job gets its own copies (NetworkSandboxes.ts). */
export const SANDBOX_FILES = ['hosts', 'resolv.conf', 'hostname'] as const;

/** The shim in front of the program, as in the Fargate task definition. */
export const SHIM_ENTRYPOINT = ['/runlater/busybox', 'sh', '/runlater/shim.sh'];

/** The task id is the container's name: stable, and found again from the attempt's client token. */
export function taskIdFor(clientToken: string): string {
  return `runlater-${clientToken}`;
}

/**
 * The container of one attempt, as Fargate would run it: the shim directory read-only at
 * /runlater, the shim in front of `argv`, the worker's then the job's env, the worker's CPU and
 * memory (no swap, as on Fargate), and the `local` log driver, which keeps output byte for byte
 * (json-file mangles bytes that are not UTF-8).
 *
 * Isolated as a Fargate task is: a process limit, no gaining privileges (setuid binaries), and
 * the jobs' network, where no job reaches another (jobNetwork.ts), joined directly or through a
 * network sandbox made ahead of it (NetworkSandboxes.ts).
 */
export function containerOptions(input: {
  taskId: string;
  spec: TaskSpec;
  argv: string[];
  shimDir: string;
  owner: string;
  hostCpus: number;
  networkId: string;
  /** A sandbox's network to join instead of `networkId` (its files are in `shimDir`/etc). */
  sandboxId?: string;
  /** The worker's secrets' values: in this container's env, and nowhere else. */
  secretEnv?: Record<string, string>;
}): Docker.ContainerCreateOptions {
  const { taskId, spec, argv, shimDir, owner, hostCpus, networkId, sandboxId } = input;
  const env = { ...containerEnvironment(spec), ...input.secretEnv };
  const memory = spec.worker.memory * 1024 * 1024;
  // Docker refuses more CPUs than the host has; Fargate sizes do not fit every laptop.
  const cpus = Math.min(spec.worker.cpu / 1024, hostCpus);
  return {
    name: taskId,
    Image: spec.worker.image,
    Entrypoint: [...SHIM_ENTRYPOINT, ...argv],
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    Labels: {
      [LABEL.task]: taskId,
      [LABEL.job]: spec.jobId,
      [LABEL.attempt]: String(spec.attempt),
      [LABEL.timeout]: String(spec.timeoutSeconds),
      [LABEL.owner]: owner,
      ...(sandboxId ? { [LABEL.inSandbox]: sandboxId } : {}),
    },
    HostConfig: {
      Binds: [
        `${shimDir}:/runlater:ro`,
        // Its own copies of what Docker would share from the sandbox (see NetworkSandboxes.ts).
        ...(sandboxId ? SANDBOX_FILES.map((f) => `${shimDir}/etc/${f}:/etc/${f}`) : []),
      ],
      // Never rotated (by default it keeps only the last 100 MB): LogCollector copies it out as it
      // comes, and after a restart takes up from where its files end, however far behind that is.
      // Docker's copy goes with the container.
      LogConfig: { Type: 'local', Config: { 'max-size': '1t', 'max-file': '1', compress: 'false' } },
      Memory: memory,
      MemorySwap: memory,
      NanoCpus: Math.round(cpus * 1e9),
      PidsLimit: spec.worker.pidsLimit ?? DEFAULT_PIDS_LIMIT,
      SecurityOpt: ['no-new-privileges'],
      NetworkMode: sandboxId ? `container:${sandboxId}` : networkId,
    },
  };
}
