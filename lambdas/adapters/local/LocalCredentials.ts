import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { DOCKER_HUB, parseImageReference } from '../../core/imageReference.ts';
import { AWS_SECRET_ARN, type Worker } from '../../core/schemas.ts';
import type { ContainerCredentials } from '../docker/TaskContainerFactory.ts';
import type { FileSecretStore } from './FileSecretStore.ts';

/** Docker Hub's key in ~/.docker/config.json, as `docker login` writes it. */
const DOCKER_HUB_KEYS = [
  'https://index.docker.io/v1/',
  'index.docker.io',
  'docker.io',
  'registry-1.docker.io',
];

/**
 * What a job's container needs from the secrets of one machine: the values of its worker's
 * secrets, and credentials to pull its image. Errors name secrets and references, never values.
 */
export class LocalCredentials implements ContainerCredentials {
  constructor(
    private readonly options: {
      secrets: FileSecretStore;
      /** The Docker config directory (default: $DOCKER_CONFIG, else ~/.docker). */
      dockerConfigDir?: string;
    },
  ) {}

  /** The env to add to the job's container, {NAME: value}; throws when a secret is not set. */
  async secretEnv(worker: Worker): Promise<Record<string, string>> {
    const env: Record<string, string> = {};
    for (const [name, ref] of Object.entries(worker.secrets ?? {})) env[name] = await this.value(ref, name);
    return env;
  }

  /**
   * Credentials for pulling the worker's image: its `registryCredentials` secret (JSON
   * {"username","password"}, as ECS's repositoryCredentials takes), else the user's Docker config
   * (`auths` entries as `docker login` writes them; credential helpers are not consulted).
   */
  async pullAuth(worker: Worker): Promise<Docker.AuthConfig | undefined> {
    const registry = parseImageReference(worker.image)?.registry ?? DOCKER_HUB;
    if (worker.registryCredentials) {
      const raw = await this.value(worker.registryCredentials, 'registryCredentials');
      let parsed: { username?: unknown; password?: unknown } = {};
      try {
        parsed = JSON.parse(raw) as typeof parsed;
      } catch {
        // fall through to the message below: the value itself is never shown
      }
      if (typeof parsed.username !== 'string' || typeof parsed.password !== 'string')
        throw new Error(
          `secret "${worker.registryCredentials}" (registryCredentials) must be JSON {"username": ..., "password": ...}`,
        );
      return { username: parsed.username, password: parsed.password, serveraddress: registry };
    }
    return this.fromDockerConfig(registry);
  }

  private async value(ref: string, usedAs: string): Promise<string> {
    if (AWS_SECRET_ARN.test(ref))
      throw new Error(
        `${usedAs}: "${ref}" is an AWS reference; runlater dev reads secrets set with runlater secrets set`,
      );
    const value = await this.options.secrets.value(ref);
    if (value === undefined)
      throw new Error(`${usedAs}: secret "${ref}" is not set (runlater secrets set ${ref})`);
    return value;
  }

  private async fromDockerConfig(registry: string): Promise<Docker.AuthConfig | undefined> {
    const dir = this.options.dockerConfigDir ?? process.env.DOCKER_CONFIG ?? join(homedir(), '.docker');
    let config: { auths?: Record<string, { auth?: string; username?: string; password?: string }> };
    try {
      config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as typeof config;
    } catch {
      return undefined; // no config, or not readable: pull anonymously, as docker would
    }
    const keys =
      registry === DOCKER_HUB ? DOCKER_HUB_KEYS : [registry, `https://${registry}`, `http://${registry}`];
    for (const key of keys) {
      const entry = config.auths?.[key];
      if (!entry) continue;
      if (entry.username && entry.password)
        return { username: entry.username, password: entry.password, serveraddress: registry };
      if (entry.auth) {
        const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon > 0)
          return {
            username: decoded.slice(0, colon),
            password: decoded.slice(colon + 1),
            serveraddress: registry,
          };
      }
    }
    return undefined;
  }
}
