/** Short human durations and times for tables: "4s", "3m 12s", "2h 5m", "3d 4h". */
export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

export function age(iso: string | null | undefined, now: number): string {
  return iso ? duration(now - Date.parse(iso)) : '–';
}

/** How long a run took, or has taken so far while it runs. */
export function runTime(startedAt: string | null, finishedAt: string | null, now: number): string {
  if (!startedAt) return '–';
  return duration((finishedAt ? Date.parse(finishedAt) : now) - Date.parse(startedAt));
}

/** A local time as "2026-11-26 14:05:09": short, sortable, the same in every locale. */
export function when(iso: string | null | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export const FINAL_STATUSES = ['succeeded', 'failed', 'timed_out', 'cancelled'] as const;
export const ALL_STATUSES = ['queued', 'starting', 'running', ...FINAL_STATUSES] as const;
export function isFinal(status: string): boolean {
  return (FINAL_STATUSES as readonly string[]).includes(status);
}

/** "NAME=value" lines ⇄ an env object, for the worker and job forms. */
export function parseEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const eq = line.indexOf('=');
    if (eq < 0) env[line.trim()] = '';
    else env[line.slice(0, eq).trim()] = line.slice(eq + 1);
  }
  return env;
}
export function formatEnv(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
}
