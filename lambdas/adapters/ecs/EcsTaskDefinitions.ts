import { createHash } from 'node:crypto';
import {
  DeregisterTaskDefinitionCommand,
  DescribeTaskDefinitionCommand,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  type ECSClient,
  type LogConfiguration,
  type RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';
import { ValidationError } from '../../core/errors.ts';
import { envPairs } from '../../core/envPairs.ts';
import type { Worker } from '../../core/schemas.ts';
import { AWS_SECRET_ARN } from '../../core/secretArn.ts';
import type { ImageCommand } from '../registry/RegistryClient.ts';
import { DEFAULT_FAMILY_PREFIX, familyFor } from './taskFamily.ts';
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

export { DEFAULT_FAMILY_PREFIX, familyFor };

/**
 * Marks a revision with a digest of everything it was registered with (worker and deploy
 * settings): a revision whose mark differs from what the code would register now is stale.
 */
export const CONFIG_TAG = 'runlater:config';

export interface EcsTaskDefinitionsConfig {
  executionRoleArn: string;
  /** The init container's image (lambdas/shim, built at deploy time). */
  shimImage: string;
  logGroupName: string;
  region: string;
  /** Default DEFAULT_FAMILY_PREFIX. */
  familyPrefix?: string;
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

  /** Revisions found current in this process, by family: `worker revision/config digest`. */
  private readonly current = new Map<string, string>();

  /**
   * The WorkerHook for AWS: registers the worker's task definition before the worker is stored,
   * then deregisters the family's older revisions.
   */
  register = async (worker: Worker): Promise<void> => {
    const input = await this.input(worker);
    try {
      await this.registerInput(input, worker);
    } catch (err) {
      // ECS refuses what the worker asked for (an image name it cannot parse, a role it cannot
      // use): the user's input, so a 400 with ECS's words, never a 500.
      const name = (err as Error).name;
      if (name === 'ClientException' || name === 'InvalidParameterException')
        throw new ValidationError(
          `ECS refused the worker's task definition: ${(err as Error).message}`,
          undefined,
          {
            cause: err,
          },
        );
      throw err;
    }
  };

  /**
   * Before a launch: a deploy that changed the shim image, the execution role, the job log group
   * or the task definition's shape left the worker's registered revision stale. It is registered
   * anew with the worker's registered command (the image is not asked again), and the stale
   * revision deregistered, so the job runs with this deploy's settings.
   */
  ensureCurrent = async (worker: Worker): Promise<void> => {
    const family = this.family(worker.name);
    const seen = this.current.get(family);
    if (seen?.startsWith(`${worker.revision}/`)) return;
    const { taskDefinition, tags } = await this.ecs
      .send(new DescribeTaskDefinitionCommand({ taskDefinition: family, include: ['TAGS'] }))
      // None registered (deregistered by hand): register one as on create.
      .catch((err: Error) => {
        if (err.name !== 'ClientException') throw err;
        return { taskDefinition: undefined, tags: undefined };
      });
    const registered = taskDefinition?.containerDefinitions?.find((c) => c.name === JOB_CONTAINER_NAME);
    const argv = registered?.entryPoint?.slice(SHIM_ENTRYPOINT.length);
    const wanted = await this.input({
      ...worker,
      ...(argv?.length ? { command: worker.command ?? argv } : {}),
    });
    const digest = tagValue(wanted, CONFIG_TAG);
    if (tags?.find((t) => t.key === CONFIG_TAG)?.value !== digest) await this.registerInput(wanted, worker);
    this.current.set(family, `${worker.revision}/${digest}`);
  };

  async input(worker: Worker): Promise<RegisterTaskDefinitionCommandInput> {
    // Refused before any registry lookup: a bad reference is the request's fault.
    awsSecrets(worker);
    awsRegistryCredentials(worker);
    const argv = worker.command ?? (await this.lookUp(worker.image));
    const input = this.definition(worker, argv);
    return { ...input, tags: [...input.tags!, { key: CONFIG_TAG, value: digestOf(input) }] };
  }

  private family(worker: string): string {
    return familyFor(worker, this.config.familyPrefix);
  }

  private async registerInput(input: RegisterTaskDefinitionCommandInput, worker: Worker): Promise<void> {
    const out = await this.ecs.send(new RegisterTaskDefinitionCommand(input));
    const arn = out.taskDefinition?.taskDefinitionArn;
    this.current.set(input.family!, `${worker.revision}/${tagValue(input, CONFIG_TAG)}`);
    if (arn) await this.deregisterAllBut(input.family!, arn);
  }

  /** Old revisions would still run if named: only the newest stays ACTIVE. */
  private async deregisterAllBut(family: string, keep: string): Promise<void> {
    // familyPrefix matches longer families too (`x_a` and `x_ab`): compare the family exactly.
    const { taskDefinitionArns = [] } = await this.ecs.send(
      new ListTaskDefinitionsCommand({ familyPrefix: family, status: 'ACTIVE', maxResults: 100 }),
    );
    for (const arn of taskDefinitionArns)
      if (arn !== keep && arn.split('/').pop()!.replace(/:\d+$/, '') === family)
        await this.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: arn }));
  }

  private definition(worker: Worker, argv: string[]): RegisterTaskDefinitionCommandInput {
    const secrets = awsSecrets(worker);
    const repositoryCredentials = awsRegistryCredentials(worker);
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
      family: this.family(worker.name),
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
          // ECS reads them with the execution role when the task starts: their values never pass
          // through runlater, and DescribeTasks shows only the references.
          ...(secrets.length > 0 ? { secrets } : {}),
          ...(repositoryCredentials ? { repositoryCredentials } : {}),
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

function tagValue(input: RegisterTaskDefinitionCommandInput, key: string): string | undefined {
  return input.tags?.find((t) => t.key === key)?.value;
}

function digestOf(input: RegisterTaskDefinitionCommandInput): string {
  return createHash('sha256').update(JSON.stringify(input)).digest('hex').slice(0, 32);
}

/** The worker's secrets as ECS takes them; a reference that is not an AWS ARN under runlater/ is refused. */
function awsSecrets(worker: Worker): { name: string; valueFrom: string }[] {
  return Object.entries(worker.secrets ?? {}).map(([name, valueFrom]) => {
    if (!AWS_SECRET_ARN.test(valueFrom))
      throw new ValidationError(
        `secrets.${name}: on AWS a secret is the ARN of a Secrets Manager secret or SSM parameter named under runlater/`,
        `secrets.${name}`,
      );
    return { name, valueFrom };
  });
}

/** A non-ECR private registry's credentials: a Secrets Manager secret of {"username","password"}. */
function awsRegistryCredentials(worker: Worker): { credentialsParameter: string } | undefined {
  const arn = worker.registryCredentials;
  if (arn === undefined) return undefined;
  if (!AWS_SECRET_ARN.test(arn) || !arn.includes(':secretsmanager:'))
    throw new ValidationError(
      'registryCredentials: on AWS this is the ARN of a Secrets Manager secret named under runlater/',
      'registryCredentials',
    );
  return { credentialsParameter: arn };
}
