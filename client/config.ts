import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export interface Connection {
  url: string;
  token: string;
  /** Where the token came from, for error messages. */
  source: string;
}

export function profilePath(): string {
  return join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'runlater', 'config.json');
}

/**
 * Finds the server and token by itself, first match wins: options, then RUNLATER_URL and
 * RUNLATER_TOKEN, then the profile `runlater login` saved, then the local dev server (its URL from
 * PORT, its token from the file `runlater dev` writes under RUNLATER_DATA_DIR or ./.runlater).
 */
export async function resolveConnection(
  options: { url?: string; token?: string; cwd?: string } = {},
): Promise<Connection> {
  const env = process.env;
  const profile = await readProfile();
  const dataDir = resolve(options.cwd ?? process.cwd(), env.RUNLATER_DATA_DIR ?? '.runlater');
  const devUrl = `http://127.0.0.1:${env.PORT ?? 8080}`;
  const url = options.url ?? env.RUNLATER_URL ?? profile?.url ?? devUrl;
  if (options.token) return { url, token: options.token, source: '--token' };
  if (env.RUNLATER_TOKEN) return { url, token: env.RUNLATER_TOKEN, source: 'RUNLATER_TOKEN' };
  if (profile?.token && (!options.url || options.url === profile.url))
    return { url, token: profile.token, source: profilePath() };
  const saved = await readFile(join(dataDir, 'token'), 'utf8').then(
    (t) => t.trim(),
    () => '',
  );
  if (saved) return { url, token: saved, source: join(dataDir, 'token') };
  throw new Error(
    'no token: start `runlater dev` (it saves one in .runlater/token), or set RUNLATER_TOKEN, or run `runlater login URL --token TOKEN`',
  );
}

export async function readProfile(): Promise<{ url: string; token: string } | undefined> {
  try {
    return JSON.parse(await readFile(profilePath(), 'utf8')) as { url: string; token: string };
  } catch {
    return undefined;
  }
}

export async function saveProfile(profile: { url: string; token: string }): Promise<string> {
  const path = profilePath();
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(profile, null, 2)}\n`, { mode: 0o600 });
  return path;
}
