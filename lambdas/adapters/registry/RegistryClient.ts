import { parseImageReference, type ImageReference } from '../../core/imageReference.ts';

/** The parts of an image's config that decide what runs. */
export interface ImageCommand {
  entrypoint: string[];
  cmd: string[];
}

export interface RegistryClientOptions {
  /** Registries spoken to over plain HTTP (e.g. a registry on loopback). */
  insecureRegistries?: string[];
  /** Credentials for a registry, e.g. ECR's `AWS:<password>` from GetAuthorizationToken. */
  basicAuth?: (registry: string) => Promise<string | undefined>;
  fetch?: typeof fetch;
  platform?: { os: string; architecture: string };
}

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

interface Manifest {
  mediaType?: string;
  manifests?: { digest: string; platform?: { os?: string; architecture?: string } }[];
  config?: { digest: string };
}

/**
 * Reads an image's ENTRYPOINT and CMD from its registry with the OCI distribution API (Docker Hub,
 * ECR, GHCR and other registries), without pulling it: ECS cannot keep an image's entrypoint while
 * putting the shim in front of it, so runlater must know it to write the task definition. Written
 * here because registry client libraries for Node are unmaintained or pull whole images; the API
 * needed is three GETs and the token dance.
 */
export class RegistryClient {
  private readonly fetchFn: typeof fetch;
  constructor(private readonly options: RegistryClientOptions = {}) {
    this.fetchFn = options.fetch ?? fetch;
  }

  async imageCommand(reference: string): Promise<ImageCommand> {
    const ref = parseImageReference(reference);
    if (!ref) throw new Error(`"${reference}" is not a valid image reference`);
    let manifest = await this.getJson<Manifest>(ref, `manifests/${ref.digest ?? ref.tag}`, ACCEPT);
    if (manifest.manifests) {
      const want = this.options.platform ?? { os: 'linux', architecture: 'amd64' };
      const match = manifest.manifests.find(
        (m) => m.platform?.os === want.os && m.platform?.architecture === want.architecture,
      );
      if (!match) throw new Error(`${reference} has no ${want.os}/${want.architecture} image`);
      manifest = await this.getJson<Manifest>(ref, `manifests/${match.digest}`, ACCEPT);
    }
    if (!manifest.config?.digest) throw new Error(`${reference}: the manifest names no config`);
    const config = await this.getJson<{ config?: { Entrypoint?: string[] | null; Cmd?: string[] | null } }>(
      ref,
      `blobs/${manifest.config.digest}`,
      '*/*',
    );
    return { entrypoint: config.config?.Entrypoint ?? [], cmd: config.config?.Cmd ?? [] };
  }

  private async getJson<T>(ref: ImageReference, path: string, accept: string): Promise<T> {
    const host = ref.registry === 'docker.io' ? 'registry-1.docker.io' : ref.registry;
    const scheme = this.options.insecureRegistries?.includes(ref.registry) ? 'http' : 'https';
    const url = `${scheme}://${host}/v2/${ref.repository}/${path}`;
    const basic = await this.options.basicAuth?.(ref.registry);
    let res = await this.fetchFn(url, {
      headers: { accept, ...(basic ? { authorization: `Basic ${basic}` } : {}) },
    });
    if (res.status === 401) {
      const token = await this.bearerToken(res.headers.get('www-authenticate') ?? '', ref, basic);
      res = await this.fetchFn(url, { headers: { accept, authorization: `Bearer ${token}` } });
    }
    if (!res.ok) throw new Error(`registry ${ref.registry}: GET ${path} answered ${res.status}`);
    return (await res.json()) as T;
  }

  /** The token dance of the distribution spec: anonymous, or with basic credentials when we have them. */
  private async bearerToken(challenge: string, ref: ImageReference, basic?: string): Promise<string> {
    const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    if (!/^Bearer/i.test(challenge) || !params.realm)
      throw new Error(`registry ${ref.registry} asks for credentials`);
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set('service', params.service);
    url.searchParams.set('scope', params.scope ?? `repository:${ref.repository}:pull`);
    const res = await this.fetchFn(url, { headers: basic ? { authorization: `Basic ${basic}` } : {} });
    if (!res.ok) throw new Error(`registry ${ref.registry}: token request answered ${res.status}`);
    const body = (await res.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new Error(`registry ${ref.registry}: no token in the answer`);
    return token;
  }
}
