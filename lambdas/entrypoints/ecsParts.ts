import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EcsTaskDefinitions } from '../adapters/ecs/EcsTaskDefinitions.ts';
import { RegistryClient } from '../adapters/registry/RegistryClient.ts';
import { lazy } from './lazy.ts';
import { region, type Trace } from './runtimeEnv.ts';

type Definitions = 'TASK_FAMILY_PREFIX' | 'EXECUTION_ROLE_ARN' | 'SHIM_IMAGE' | 'JOB_LOG_GROUP';

/** The function's ECS client, made when first needed. */
export function ecsClient(source: NodeJS.ProcessEnv, t: Trace): () => Promise<ECSClient> {
  return lazy(async () => t(new ECSClient(region(source))));
}

/**
 * Registering a worker's task definition (on create and update, and when a deploy changed it),
 * made with its first use: ECR and the registry client serve nothing else.
 */
export function taskDefinitions(
  get: (name: Definitions) => string,
  source: NodeJS.ProcessEnv,
  ecs: () => Promise<ECSClient>,
  t: Trace,
): () => Promise<EcsTaskDefinitions> {
  const config = {
    executionRoleArn: get('EXECUTION_ROLE_ARN'),
    shimImage: get('SHIM_IMAGE'),
    logGroupName: get('JOB_LOG_GROUP'),
    familyPrefix: get('TASK_FAMILY_PREFIX'),
    region: region(source).region,
  };
  return lazy(async () => {
    const ecr = t(new ECRClient(region(source)));
    const registry = new RegistryClient({
      // The account's own ECR registries need its credentials; public registries take anonymous tokens.
      basicAuth: async (host) => {
        if (!/\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com$/.test(host)) return undefined;
        const out = await ecr.send(new GetAuthorizationTokenCommand({}));
        return out.authorizationData?.[0]?.authorizationToken;
      },
    });
    return new EcsTaskDefinitions(await ecs(), config, (image) => registry.imageCommand(image));
  });
}
