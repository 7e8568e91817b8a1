/**
 * The console's one way to the API: same origin, the token from sessionStorage in the Authorization
 * header (never in a URL), errors as ApiError with the API's stable code. A 401 anywhere signs out.
 */
const TOKEN_KEY = 'runlater.token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const session = {
  token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  signIn: (token: string) => sessionStorage.setItem(TOKEN_KEY, token),
  signOut: () => sessionStorage.removeItem(TOKEN_KEY),
};

let onUnauthorized: () => void = () => {};
/** Called when the API refuses the token (revoked, or a new dev server with another token). */
export function whenUnauthorized(callback: () => void): void {
  onUnauthorized = callback;
}

export async function api<T>(
  method: string,
  path: string,
  body?: unknown,
  token = session.token(),
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  // Relative to the page, so the console works wherever the API is mounted.
  const res = await fetch(path.replace(/^\//, ''), {
    method,
    headers,
    cache: 'no-store',
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const error = (data as { error?: { code?: string; message?: string; field?: string } } | undefined)
      ?.error;
    const err = new ApiError(
      res.status,
      error?.code ?? 'http_error',
      error?.message ?? `HTTP ${res.status}`,
      error?.field,
    );
    if (res.status === 401 && token === session.token()) onUnauthorized();
    throw err;
  }
  return data as T;
}

/** A query string from the given values, skipping empty ones. */
export function query(values: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** What the API offers beyond v1's core, read from its OpenAPI document (e.g. re-running a job). */
export interface Features {
  rerun: boolean;
}
let features: Promise<Features> | undefined;
export function apiFeatures(): Promise<Features> {
  features ??= api<{ paths?: Record<string, unknown> }>('GET', '/openapi.json', undefined, null)
    .then((doc) => ({ rerun: Boolean(doc.paths?.['/v1/jobs/{id}/rerun']) }))
    .catch(() => ({ rerun: false }));
  return features;
}
