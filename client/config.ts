import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export interface Connection {
  url: string;
  token: string;
  /** Where the token came from, to name it in messages. */
  source: string;
}

export interface ResolveOptions {
  url?: string;
  token?: string;
  /** The saved login to use (default: RUNLATER_PROFILE, else `default`). */
  profile?: string;
  /** Base of a relative RUNLATER_DATA_DIR (default: the current directory). */
  cwd?: string;
  /** Stands in for process.env (tests). */
  env?: Record<string, string | undefined>;
}

export interface Profile {
  url: string;
  token: string;
}

type Env = Record<string, string | undefined>;

export class RunlaterConfigError extends Error {
  override readonly name = 'RunlaterConfigError';
}

export const DEFAULT_PROFILE = 'default';

/** `~/.config/runlater/config.json`, or under XDG_CONFIG_HOME when that is set. */
export function profilePath(env: Env = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'runlater', 'config.json');
}

/** Where `runlater dev` notes the server it started last, for a CLI in another directory. */
export function devServerPointerPath(env: Env = process.env): string {
  const base = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state');
  return join(base, 'runlater', 'dev-server.json');
}

/** The profile name in effect: the option, else RUNLATER_PROFILE, else `default`. */
export function profileName(name: string | undefined, env: Env = process.env): string {
  return name || env.RUNLATER_PROFILE || DEFAULT_PROFILE;
}

/**
 * Finds the server and its token, first match wins: the options; RUNLATER_URL / RUNLATER_TOKEN;
 * the profile `runlater login` saved (`--profile`, RUNLATER_PROFILE, else `default`); then a
 * local dev server: `http://127.0.0.1:$PORT` when PORT is set, else the one that
 * `$RUNLATER_DATA_DIR/server.json` (default .runlater) names, else the one `runlater dev` started
 * last on this machine, else port 8080; with the token that server wrote to its data dir.
 *
 * @example
 * const client = new RunlaterClient(await resolveConnection());
 */
export async function resolveConnection(options: ResolveOptions = {}): Promise<Connection> {
  const env = options.env ?? process.env;
  const name = profileName(options.profile, env);
  const profile = await readProfile(env, name);
  if (!profile && name !== DEFAULT_PROFILE) {
    throw new RunlaterConfigError(`no profile "${name}": run \`runlater login URL --profile ${name}\``);
  }
  const local = profile || options.url || env.RUNLATER_URL ? undefined : await findLocalServer(options, env);
  const url = trimUrl(options.url || env.RUNLATER_URL || profile?.url || local!.url);
  if (options.token) return { url, token: options.token, source: '--token' };
  if (env.RUNLATER_TOKEN) return { url, token: env.RUNLATER_TOKEN, source: 'RUNLATER_TOKEN' };
  // A saved login is a real credential: it goes to the server it was saved for and nowhere else.
  if (profile && trimUrl(profile.url) === url) return { url, token: profile.token, source: profilePath(env) };
  const dataDir = local?.dataDir ?? localDataDir(options, env);
  const tokenFile = join(dataDir, 'token');
  const saved = await readFile(tokenFile, 'utf8').then(
    (text) => text.trim(),
    () => '',
  );
  if (saved) return { url, token: saved, source: tokenFile };
  throw new RunlaterConfigError(
    `no token: start \`runlater dev\` or set RUNLATER_TOKEN / run \`runlater login\` (no token for ${url} in ${tokenFile})`,
  );
}

function localDataDir(options: ResolveOptions, env: Env): string {
  return resolve(options.cwd ?? process.cwd(), env.RUNLATER_DATA_DIR || '.runlater');
}

/** A dev server that is running now, as its `server.json` (or the pointer to it) describes it. */
async function findLocalServer(options: ResolveOptions, env: Env): Promise<{ url: string; dataDir: string }> {
  const dataDir = localDataDir(options, env);
  if (env.PORT) return { url: `http://127.0.0.1:${env.PORT}`, dataDir };
  const here = await readRunning(join(dataDir, 'server.json'));
  if (here) return { url: here.url, dataDir };
  // Not here: the dev server this user started last, wherever its data is (`--data-dir`).
  if (!env.RUNLATER_DATA_DIR) {
    const last = await readRunning(devServerPointerPath(env));
    if (last?.dataDir) return { url: last.url, dataDir: last.dataDir };
  }
  return { url: 'http://127.0.0.1:8080', dataDir };
}

interface ServerNote {
  url: string;
  pid: number;
  dataDir?: string;
}

/** The note in `path` if the process that wrote it still runs (a stale note is ignored). */
async function readRunning(path: string): Promise<ServerNote | undefined> {
  try {
    const note = JSON.parse(await readFile(path, 'utf8')) as Partial<ServerNote>;
    if (typeof note.url !== 'string' || typeof note.pid !== 'number') return undefined;
    process.kill(note.pid, 0); // throws ESRCH when it is gone
    return note as ServerNote;
  } catch (err) {
    // EPERM: the process runs but is another user's; its server still answers.
    if ((err as NodeJS.ErrnoException).code === 'EPERM') {
      return JSON.parse(await readFile(path, 'utf8')) as ServerNote;
    }
    return undefined;
  }
}

interface ConfigFile {
  profiles: Record<string, Profile>;
}

async function readConfig(env: Env): Promise<ConfigFile | undefined> {
  const path = profilePath(env);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RunlaterConfigError(`cannot read ${path}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  // Before profiles the file held one login: it is the default profile.
  if (isProfile(parsed)) return { profiles: { [DEFAULT_PROFILE]: parsed } };
  const profiles = (parsed as Partial<ConfigFile> | undefined)?.profiles;
  if (profiles && typeof profiles === 'object' && Object.values(profiles).every(isProfile)) {
    return { profiles };
  }
  throw new RunlaterConfigError(
    `${path} is not {"profiles": {"NAME": {"url": ..., "token": ...}}}: fix it or run \`runlater login\` again`,
  );
}

function isProfile(value: unknown): value is Profile {
  const p = value as Partial<Profile> | undefined;
  return typeof p?.url === 'string' && typeof p.token === 'string';
}

/** A saved login, if any; a file that is there but unreadable is an error, not "no login". */
export async function readProfile(
  env: Env = process.env,
  name = DEFAULT_PROFILE,
): Promise<Profile | undefined> {
  const profile = (await readConfig(env))?.profiles[name];
  return profile && { url: profile.url, token: profile.token };
}

/** Every saved login by name. */
export async function listProfiles(env: Env = process.env): Promise<Record<string, Profile>> {
  return (await readConfig(env))?.profiles ?? {};
}

/** Saves a login for later commands, readable by this user only (it holds a token). */
export async function saveProfile(
  profile: Profile,
  env: Env = process.env,
  name = DEFAULT_PROFILE,
): Promise<string> {
  const profiles = await listProfiles(env);
  profiles[name] = { url: trimUrl(profile.url), token: profile.token };
  return writeConfig({ profiles }, env);
}

/** Forgets a login; returns whether there was one. */
export async function removeProfile(env: Env = process.env, name = DEFAULT_PROFILE): Promise<boolean> {
  const profiles = await listProfiles(env);
  if (!profiles[name]) return false;
  delete profiles[name];
  if (Object.keys(profiles).length) await writeConfig({ profiles }, env);
  else await rm(profilePath(env), { force: true });
  return true;
}

async function writeConfig(config: ConfigFile, env: Env): Promise<string> {
  const path = profilePath(env);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await chmod(path, 0o600); // writeFile's mode applies to new files only
  return path;
}

function trimUrl(url: string): string {
  return url.replace(/\/+$/, '');
}
