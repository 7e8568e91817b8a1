import type Docker from 'dockerode';
import type { StdinStore, TaskSpec } from '../../core/ports.ts';
import type { Worker } from '../../core/schemas.ts';
import { busyboxPath, prepareShimDirectory, type StdinSource } from '../../shim/prepare.ts';
import { containerOptions } from './containerConfig.ts';
import { dockerMessage, isUnreachable, statusOf } from './docker.ts';
import { ensureJobNetwork } from './jobNetwork.ts';
import { NetworkSandboxes, writeJobNetworkFiles } from './NetworkSandboxes.ts';

/**
 * A launch that reached Docker and failed there (no such image, refused config). Not thrown out of
 * launch(): like ECS, the task then exists and stops at once, with this as its stoppedReason.
 */
export class StartFailure extends Error {}

/** How a StartFailure of the image's pull begins (the runner tells pulls that may pass from the rest). */
export const PULL_FAILURE = 'CannotPullContainerError';

/** What a job's container needs from kept secrets (LocalCredentials on one machine). */
export interface ContainerCredentials {
  /** The values of the worker's secrets, {NAME: value}: for the job's container alone. */
  secretEnv(worker: Worker): Promise<Record<string, string>>;
  pullAuth(worker: Worker): Promise<Docker.AuthConfig | undefined>;
}

/**
 * Makes the container of one attempt: pulls the image if it is not here, fills the shim directory
 * (busybox, shim.sh, the job's stdin), and creates the container (not started), in a network
 * sandbox made ahead when one is free.
 */
export class TaskContainerFactory {
  private hostCpus?: Promise<number>;
  private network?: Promise<string>;
  readonly sandboxes: NetworkSandboxes;

  constructor(
    private readonly docker: Docker,
    private readonly options: {
      owner: string;
      stdinStore: StdinStore;
      busyboxPath?: string;
      credentials?: ContainerCredentials;
    },
  ) {
    this.sandboxes = new NetworkSandboxes(docker, {
      owner: options.owner,
      dir: options.owner,
      busyboxPath: busyboxPath(options.busyboxPath),
      network: () => this.jobNetwork(),
    });
  }

  /**
   * Throws StartFailure for what the job's task is to be failed for; anything else as it comes.
   * Returns the network sandbox the container joined, if any: it is the caller's to give back.
   */
  async create(
    taskId: string,
    spec: TaskSpec,
    shimDir: string,
    { sandbox: useSandbox = true } = {},
  ): Promise<{ sandboxId?: string }> {
    const image = await this.image(spec.worker);
    const argv = spec.worker.command ?? [...asList(image.Config.Entrypoint), ...asList(image.Config.Cmd)];
    const { busyboxPath } = this.options;
    await prepareShimDirectory(shimDir, await this.stdinSource(spec), busyboxPath ? { busyboxPath } : {});
    const hostCpus = await this.cpus();
    const networkId = await this.jobNetwork();
    // A secret not set fails the task like a refused config (waiting will not set it).
    const secretEnv = await this.credentials((c) => c.secretEnv(spec.worker), 'CannotCreateContainerError');
    const options = (sandboxId?: string) =>
      containerOptions({
        taskId,
        spec,
        argv,
        shimDir,
        owner: this.options.owner,
        hostCpus,
        networkId,
        ...(sandboxId ? { sandboxId } : {}),
        secretEnv,
      });
    const sandbox = useSandbox ? this.sandboxes.take(spec.worker.image, taskId) : undefined;
    if (sandbox) {
      try {
        await writeJobNetworkFiles(shimDir, sandbox.files);
        await this.docker.createContainer(options(sandbox.id));
        return { sandboxId: sandbox.id };
      } catch (err) {
        if (isUnreachable(err) || statusOf(err) === 409) {
          this.sandboxes.give(sandbox.id, taskId);
          throw err;
        }
        // Gone (removed, or stopped with its engine): this job joins the network itself.
        this.sandboxes.discard(sandbox.id);
      }
    }
    try {
      await this.docker.createContainer(options());
      return {};
    } catch (err) {
      if (isUnreachable(err) || statusOf(err) === 409) throw err;
      if (statusOf(err) === 404 && /network/i.test(dockerMessage(err))) {
        this.network = undefined; // removed since: made again on the next delivery
        throw err;
      }
      throw new StartFailure(`CannotCreateContainerError: ${dockerMessage(err)}`);
    }
  }

  /** The image's config, pulled first when it is not here (`docker run` does the same). */
  private async image(worker: Worker): Promise<Docker.ImageInspectInfo> {
    const name = worker.image;
    try {
      return await this.docker.getImage(name).inspect();
    } catch (err) {
      if (isUnreachable(err)) throw err;
      if (statusOf(err) !== 404) throw new StartFailure(`${PULL_FAILURE}: ${name}: ${dockerMessage(err)}`);
    }
    // Credentials that cannot be read (a secret not set) are the worker's to fix, not a pull to retry.
    const authconfig = await this.credentials((c) => c.pullAuth(worker), 'CannotCreateContainerError');
    try {
      const progress = await this.docker.pull(name, authconfig ? { authconfig } : {});
      await new Promise<void>((done, fail) =>
        this.docker.modem.followProgress(progress, (err: Error | null) => (err ? fail(err) : done())),
      );
      return await this.docker.getImage(name).inspect();
    } catch (err) {
      if (isUnreachable(err)) throw err;
      throw new StartFailure(`${PULL_FAILURE}: ${name}: ${dockerMessage(err)}`);
    }
  }

  private async credentials<T>(
    get: (c: ContainerCredentials) => Promise<T>,
    failure: string,
  ): Promise<T | undefined> {
    if (!this.options.credentials) return undefined;
    try {
      return await get(this.options.credentials);
    } catch (err) {
      throw new StartFailure(`${failure}: ${(err as Error).message}`);
    }
  }

  private async stdinSource(spec: TaskSpec): Promise<StdinSource> {
    if ('inlineBase64' in spec.stdin) return { stdinBase64: spec.stdin.inlineBase64 };
    return { stdinUrl: await this.options.stdinStore.url(spec.stdin.blobKey) };
  }

  /** Made once per process; looked up again after a failure (or if someone removed it: Docker says 404). */
  private jobNetwork(): Promise<string> {
    this.network ??= ensureJobNetwork(this.docker).catch((err: unknown) => {
      this.network = undefined;
      throw err;
    });
    return this.network;
  }

  private cpus(): Promise<number> {
    this.hostCpus ??= this.docker.info().then(
      (info: { NCPU?: number }) => info.NCPU ?? 1,
      (err: unknown) => {
        this.hostCpus = undefined;
        throw err;
      },
    );
    return this.hostCpus;
  }
}

function asList(value: string | string[] | undefined | null): string[] {
  if (!value) return [];
  return typeof value === 'string' ? [value] : value;
}
