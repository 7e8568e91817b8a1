import {
  RegisterTaskDefinitionCommand,
  type ECSClient,
  type RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';
import { ValidationError } from '../../core/errors.ts';
import type { Worker } from '../../core/schemas.ts';
import type { ImageCommand } from '../registry/RegistryClient.ts';
import { INIT_CONTAINER_NAME, JOB_CONTAINER_NAME, LOG_ROUTER_CONTAINER_NAME } from './taskStateChange.ts';

/** The shim in front of every job: run by the static busybox the init container leaves in /runlater. */
export const SHIM_ENTRYPOINT = ['/runlater/busybox', 'sh', '/runlater/shim.sh'];
/** Job output goes to streams named `job/<container>-firelens-<task id>` (FireLens tags records so). */
export const JOB_STREAM_PREFIX = 'job/';

export function familyFor(worker: string): string {
  return `runlater-${worker}`;
}

export interface EcsTaskDefinitionsConfig {
  executionRoleArn: string;
  /** The init container's image (lambdas/shim, built at deploy time). */
  shimImage: string;
  /** The FireLens log router's image (AWS for Fluent Bit). */
  logRouterImage: string;
  logGroupName: string;
  region: string;
}

/**
 * One ECS task definition per worker, registered (as a new revision) when the worker is created or
 * updated: ECS cannot override a task's image, so the worker's image, cpu, memory and env live here.
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
    const { region, logGroupName } = this.config;
    const awslogs = (prefix: string) => ({
      logDriver: 'awslogs' as const,
      options: { 'awslogs-group': logGroupName, 'awslogs-region': region, 'awslogs-stream-prefix': prefix },
    });
    return {
      family: familyFor(worker.name),
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: String(worker.cpu),
      memory: String(worker.memory),
      executionRoleArn: this.config.executionRoleArn,
      // The job's own code gets no AWS permissions unless its worker names a role.
      ...(worker.taskRoleArn ? { taskRoleArn: worker.taskRoleArn } : {}),
      runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
      volumes: [{ name: 'runlater' }],
      containerDefinitions: [
        {
          name: LOG_ROUTER_CONTAINER_NAME,
          image: this.config.logRouterImage,
          essential: true,
          firelensConfiguration: { type: 'fluentbit', options: { 'enable-ecs-log-metadata': 'false' } },
          logConfiguration: awslogs('log-router'),
          memoryReservation: 50,
        },
        {
          name: INIT_CONTAINER_NAME,
          image: this.config.shimImage,
          essential: false,
          mountPoints: [{ sourceVolume: 'runlater', containerPath: '/runlater', readOnly: false }],
          logConfiguration: awslogs('init'),
        },
        {
          name: JOB_CONTAINER_NAME,
          image: worker.image,
          essential: true,
          entryPoint: [...SHIM_ENTRYPOINT, ...argv],
          environment: Object.entries(worker.env).map(([name, value]) => ({ name, value })),
          mountPoints: [{ sourceVolume: 'runlater', containerPath: '/runlater', readOnly: true }],
          dependsOn: [{ containerName: INIT_CONTAINER_NAME, condition: 'SUCCESS' }],
          // FireLens records which stream each line came from; awslogs would mix them.
          logConfiguration: {
            logDriver: 'awsfirelens',
            options: {
              Name: 'cloudwatch_logs',
              region,
              log_group_name: logGroupName,
              log_stream_prefix: JOB_STREAM_PREFIX,
              auto_create_group: 'false',
            },
          },
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
