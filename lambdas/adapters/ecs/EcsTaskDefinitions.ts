import {
  RegisterTaskDefinitionCommand,
  type ECSClient,
  type LogConfiguration,
  type RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';
import { ValidationError } from '../../core/errors.ts';
import { envPairs, type Worker } from '../../core/schemas.ts';
import type { ImageCommand } from '../registry/RegistryClient.ts';
import { INIT_CONTAINER_NAME, JOB_CONTAINER_NAME } from './taskStateChange.ts';

/** The shim in front of every job: run by the static busybox the init container leaves in /runlater. */
export const SHIM_ENTRYPOINT = ['/runlater/busybox', 'sh', '/runlater/shim.sh'];
/**
 * awslogs names each container's stream `<prefix>/<container>/<task id>`: a job's output is in
 * `runlater/job/<task id>`, its init container's in `runlater/runlater-init/<task id>`.
 */
export const LOG_STREAM_PREFIX = 'runlater';
/**
 * Asks the shim to tag every line with the stream it came from (`o ` stdout, `e ` stderr): awslogs
 * sends both streams of a container to one log stream and keeps no mark of which was which.
 * RUNLATER_* names are reserved, so no worker or job env can change it.
 */
export const LOG_TAGS_ENV = { name: 'RUNLATER_LOG_TAGS', value: '1' } as const;

export function familyFor(worker: string): string {
  return `runlater-${worker}`;
}

export interface EcsTaskDefinitionsConfig {
  executionRoleArn: string;
  /** The init container's image (lambdas/shim, built at deploy time). */
  shimImage: string;
  logGroupName: string;
  region: string;
}

/**
 * One ECS task definition per worker, registered (as a new revision) when the worker is created or
 * updated: ECS cannot override a task's image, so the worker's image, cpu, memory and env live here.
 *
 * @example
 * const defs = new EcsTaskDefinitions(ecs, config, (image) => registry.imageCommand(image));
 * const workers = new WorkerService({ ..., onWorkerChanged: defs.register });
 */
export class EcsTaskDefinitions {
  constructor(
    private readonly ecs: ECSClient,
    private readonly config: EcsTaskDefinitionsConfig,
    private readonly imageCommand: (image: string) => Promise<ImageCommand>,
  ) {}

  /** The WorkerHook for AWS: registers the worker's task definition before the worker is stored. */
  register = async (worker: Worker): Promise<void> => {
    await this.ecs.send(new RegisterTaskDefinitionCommand(await this.input(worker)));
  };

  async input(worker: Worker): Promise<RegisterTaskDefinitionCommandInput> {
    const argv = worker.command ?? (await this.lookUp(worker.image));
    const awslogs: LogConfiguration = {
      logDriver: 'awslogs',
      options: {
        'awslogs-group': this.config.logGroupName,
        'awslogs-region': this.config.region,
        'awslogs-stream-prefix': LOG_STREAM_PREFIX,
        // ECS's default became non-blocking in 2025: it drops output when its buffer fills and
        // cuts lines at 16 KiB. A job's output is what the user came for: block instead.
        mode: 'blocking',
      },
    };
    return {
      family: familyFor(worker.name),
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: String(worker.cpu),
      memory: String(worker.memory),
      // Pulls the images and writes the logs (awslogs runs on the execution role, not the task's).
      executionRoleArn: this.config.executionRoleArn,
      // The seam for job permissions: the job's own code gets none unless its worker names a role.
      ...(worker.taskRoleArn ? { taskRoleArn: worker.taskRoleArn } : {}),
      runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
      // A bind mount on the task's ephemeral storage, shared by the two containers.
      volumes: [{ name: 'runlater' }],
      containerDefinitions: [
        {
          name: INIT_CONTAINER_NAME,
          image: this.config.shimImage,
          essential: false,
          mountPoints: [{ sourceVolume: 'runlater', containerPath: '/runlater', readOnly: false }],
          logConfiguration: awslogs,
        },
        {
          name: JOB_CONTAINER_NAME,
          image: worker.image,
          essential: true,
          entryPoint: [...SHIM_ENTRYPOINT, ...argv],
          environment: [...envPairs(worker.env), { ...LOG_TAGS_ENV }],
          mountPoints: [{ sourceVolume: 'runlater', containerPath: '/runlater', readOnly: true }],
          dependsOn: [{ containerName: INIT_CONTAINER_NAME, condition: 'SUCCESS' }],
          logConfiguration: awslogs,
        },
      ],
      tags: [{ key: 'runlater:worker', value: worker.name }],
    };
  }

  private async lookUp(image: string): Promise<string[]> {
    try {
      const { entrypoint, cmd } = await this.imageCommand(image);
      const argv = [...entrypoint, ...cmd];
      if (argv.length === 0) throw new Error('the image has no ENTRYPOINT or CMD');
      return argv;
    } catch (err) {
      throw new ValidationError(
        `cannot read what ${image} runs from its registry (${(err as Error).message}); give the worker a command`,
        'image',
      );
    }
  }
}
