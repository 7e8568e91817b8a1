import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
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
  /** Base of a relative RUNLATER_DATA_DIR (default: the current directory). */
  cwd?: string;
  /** Stands in for process.env (tests). */
  env?: Record<string, string | undefined>;
}

export interface Profile {
  url: string;
  token: string;
}

export class RunlaterConfigError extends Error {
  override readonly name = 'RunlaterConfigError';
}

/** `~/.config/runlater/config.json`, or under XDG_CONFIG_HOME when that is set. */
export function profilePath(env: Record<string, string | undefined> = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'runlater', 'config.json');
}

/**
 * Finds the server and its token, first match wins: the options; RUNLATER_URL / RUNLATER_TOKEN;
 * the profile `runlater login` saved; the local dev server (`http://127.0.0.1:$PORT`, default
 * 8080) with the token `runlater dev` wrote to `$RUNLATER_DATA_DIR/token` (default .runlater).
 *
 * @example
 * const client = new RunlaterClient(await resolveConnection());
 */
export async function resolveConnection(options: ResolveOptions = {}): Promise<Connection> {
  const env = options.env ?? process.env;
  const profile = await readProfile(env);
  const url = trimUrl(
    options.url || env.RUNLATER_URL || profile?.url || `http://127.0.0.1:${env.PORT || 8080}`,
  );
  if (options.token) return { url, token: options.token, source: '--token' };
  if (env.RUNLATER_TOKEN) return { url, token: env.RUNLATER_TOKEN, source: 'RUNLATER_TOKEN' };
  // A saved login is a real credential: it goes to the server it was saved for and nowhere else.
  if (profile && trimUrl(profile.url) === url) return { url, token: profile.token, source: profilePath(env) };
  const tokenFile = join(
    resolve(options.cwd ?? process.cwd(), env.RUNLATER_DATA_DIR || '.runlater'),
    'token',
  );
  const saved = await readFile(tokenFile, 'utf8').then(
    (text) => text.trim(),
    () => '',
  );
  if (saved) return { url, token: saved, source: tokenFile };
  throw new RunlaterConfigError(
    `no token: start \`runlater dev\` or set RUNLATER_TOKEN / run \`runlater login\` (no token for ${url} in ${tokenFile})`,
  );
}

/** The saved login, if any; a file that is there but unreadable is an error, not "no login". */
export async function readProfile(
  env: Record<string, string | undefined> = process.env,
): Promise<Profile | undefined> {
  const path = profilePath(env);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RunlaterConfigError(`cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    const profile = JSON.parse(text) as Partial<Profile>;
    if (typeof profile.url === 'string' && typeof profile.token === 'string') {
      return { url: profile.url, token: profile.token };
    }
  } catch {
    // reported below
  }
  throw new RunlaterConfigError(
    `${path} is not {"url": ..., "token": ...}: fix it or run \`runlater login\` again`,
  );
}

/** Saves the login for later commands, readable by this user only (it holds a token). */
export async function saveProfile(
  profile: Profile,
  env: Record<string, string | undefined> = process.env,
): Promise<string> {
  const path = profilePath(env);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `${JSON.stringify({ url: trimUrl(profile.url), token: profile.token }, null, 2)}\n`, {
    mode: 0o600,
  });
  await chmod(path, 0o600); // writeFile's mode applies to new files only
  return path;
}

function trimUrl(url: string): string {
  return url.replace(/\/+$/, '');
}
