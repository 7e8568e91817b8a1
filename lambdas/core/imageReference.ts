/**
 * Docker image references (`[registry/]repository[:tag][@digest]`), parsed by the grammar of
 * distribution/reference. Written here because the libraries that parse it are either Go or
 * tied to a registry client; the grammar is small and stable.
 */
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domain = `(?:${domainComponent}(?:\\.${domainComponent})*(?::[0-9]+)?)`;
const pathComponent = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const tag = '[\\w][\\w.-]{0,127}';
const digest = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(
  `^((?:${domain}/)?${pathComponent}(?:/${pathComponent})*)(?::(${tag}))?(?:@(${digest}))?$`,
);

export interface ImageReference {
  /** Registry host (with port), e.g. `docker.io`, `123.dkr.ecr.eu-west-1.amazonaws.com`, `localhost:5000`. */
  registry: string;
  /** Repository path within the registry, e.g. `library/busybox`. */
  repository: string;
  tag?: string;
  digest?: string;
}

export const DOCKER_HUB = 'docker.io';

/** Returns the parsed reference, or undefined when `ref` is not a valid image reference. */
export function parseImageReference(ref: string): ImageReference | undefined {
  if (ref.length > 255 + 128 + 80) return undefined;
  const m = REFERENCE.exec(ref);
  if (!m) return undefined;
  const name = m[1]!;
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  const hasRegistry = first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost');
  const registry = hasRegistry ? first : DOCKER_HUB;
  let repository = hasRegistry ? name.slice(slash + 1) : name;
  if (repository.length > 255) return undefined;
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  const parsed: ImageReference = { registry, repository };
  if (m[2]) parsed.tag = m[2];
  if (m[3]) parsed.digest = m[3];
  if (!parsed.tag && !parsed.digest) parsed.tag = 'latest';
  return parsed;
}

export function isValidImageReference(ref: string): boolean {
  return parseImageReference(ref) !== undefined;
}
