import { ConflictError, NotFoundError } from './errors.ts';
import { checkFargateSize, leastMemoryFor } from './fargateSizes.ts';
import { DEFAULT_CPU, DEFAULT_MEMORY, LIMITS } from './limits.ts';
import { randomBytes } from 'node:crypto';
import type { Clock, StoredWorker, WorkerStore } from './ports.ts';
import { DEFAULT_RETRY } from './retryPolicy.ts';
import type { CreateWorkerRequest, UpdateWorkerRequest, Worker } from './schemas.ts';

/** Called before a worker is written, to prepare its infrastructure (on AWS: its ECS task definition). */
export type WorkerHook = (worker: Worker) => Promise<void>;

export class WorkerService {
  constructor(
    private readonly workers: WorkerStore,
    private readonly clock: Clock,
    private readonly onWorkerChanged?: WorkerHook,
  ) {}

  /** `input` comes validated by its schema (the API's route table parses it). */
  async create(input: CreateWorkerRequest): Promise<Worker & { webhookSecret: string }> {
    const now = this.clock.now().toISOString();
    const webhookSecret = newWebhookSecret();
    const worker = toWorker(input.name, input, { createdAt: now, updatedAt: now, revision: 1 });
    if (await this.workers.get(worker.name))
      throw new ConflictError(`worker "${worker.name}" already exists`);
    // Prepare the infrastructure before the worker becomes visible, so a failure leaves nothing half made.
    await this.onWorkerChanged?.(worker);
    await this.workers.create({ ...worker, webhookSecret });
    // The secret is shown this once; reads never show it (rotate it to get a new one).
    return { ...worker, webhookSecret };
  }

  async get(name: string): Promise<Worker> {
    return toPublicWorker(await this.load(name));
  }

  async list(): Promise<Worker[]> {
    return (await this.workers.list()).map(toPublicWorker);
  }

  /** Replaces the worker's webhook secret and returns the new one; deliveries from now on use it. */
  async rotateWebhookSecret(name: string): Promise<{ webhookSecret: string }> {
    const current = await this.load(name);
    const webhookSecret = newWebhookSecret();
    await this.workers.replace(
      {
        ...current,
        webhookSecret,
        updatedAt: this.clock.now().toISOString(),
        revision: current.revision + 1,
      },
      current.revision,
    );
    return { webhookSecret };
  }

  private async load(name: string): Promise<StoredWorker> {
    const worker = await this.workers.get(name);
    if (!worker) throw new NotFoundError(`worker "${name}" does not exist`);
    return worker;
  }

  /** Replaces the worker's settings (PUT semantics: omitted optional fields return to defaults). */
  async update(name: string, input: UpdateWorkerRequest): Promise<Worker> {
    const current = await this.load(name);
    const worker = toWorker(name, input, {
      createdAt: current.createdAt,
      updatedAt: this.clock.now().toISOString(),
      revision: current.revision + 1,
    });
    await this.onWorkerChanged?.(worker);
    const { webhookSecret } = current;
    await this.workers.replace({ ...worker, ...(webhookSecret ? { webhookSecret } : {}) }, current.revision);
    return worker;
  }

  async delete(name: string): Promise<void> {
    if (!(await this.workers.delete(name))) throw new NotFoundError(`worker "${name}" does not exist`);
  }
}

/** A worker from its request, with the defaults filled in. */
function toWorker(
  name: string,
  input: UpdateWorkerRequest,
  meta: Pick<Worker, 'createdAt' | 'updatedAt' | 'revision'>,
): Worker {
  const cpu = input.cpu ?? DEFAULT_CPU;
  const memory = input.memory ?? (input.cpu ? leastMemoryFor(cpu) : undefined) ?? DEFAULT_MEMORY;
  checkFargateSize(cpu, memory);
  return {
    name,
    image: input.image,
    ...(input.command ? { command: input.command } : {}),
    env: input.env ?? {},
    cpu,
    memory,
    timeoutSeconds: input.timeoutSeconds ?? LIMITS.defaultTimeoutSeconds,
    retry: input.retry ?? DEFAULT_RETRY,
    ...(input.taskRoleArn ? { taskRoleArn: input.taskRoleArn } : {}),
    ...(input.pidsLimit ? { pidsLimit: input.pidsLimit } : {}),
    ...(input.notify ? { notify: input.notify } : {}),
    ...(input.secrets && Object.keys(input.secrets).length > 0 ? { secrets: input.secrets } : {}),
    ...(input.registryCredentials ? { registryCredentials: input.registryCredentials } : {}),
    ...(input.maxConcurrency !== undefined ? { maxConcurrency: input.maxConcurrency } : {}),
    ...(input.priority !== undefined ? { priority: input.priority } : {}),
    ...meta,
  };
}

/** A Standard Webhooks secret: `whsec_` and 32 random bytes in base64. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The worker as the API shows it: without its webhook secret. */
export function toPublicWorker(worker: StoredWorker): Worker {
  const { webhookSecret: _secret, ...view } = worker;
  return view;
}
