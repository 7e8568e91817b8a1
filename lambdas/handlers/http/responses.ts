import { PayloadTooLargeError, ValidationError } from '../../core/errors.ts';
import { LIMITS } from '../../core/limits.ts';
import type { ApiEvent, ApiResult } from './types.ts';

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): ApiResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? '' : JSON.stringify(body),
  };
}

export function noContent(): ApiResult {
  return { statusCode: 204, headers: {}, body: '' };
}

/** The request body as JSON, with a clear error when it is too large or not JSON. */
export function jsonBody(event: ApiEvent): unknown {
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text) > LIMITS.requestBodyBytes)
    throw new PayloadTooLargeError(`request body is over ${LIMITS.requestBodyBytes} bytes`);
  if (text.trim() === '') throw new ValidationError('request body is empty; send a JSON object', 'body');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ValidationError(`request body is not valid JSON: ${(err as Error).message}`, 'body');
  }
  // JSON.parse keeps a "__proto__" key as data, but copying it into any object sets that
  // object's prototype instead: it would vanish silently, so it is refused wherever it is.
  if (/"__proto__"\s*:/.test(text) && hasProtoKey(parsed))
    throw new ValidationError('request body: "__proto__" is not accepted as a key', 'body');
  return parsed;
}

export function header(event: ApiEvent, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === lower) return v;
  return undefined;
}

function hasProtoKey(value: unknown, depth = 0): boolean {
  if (depth > 64 || value === null || typeof value !== 'object') return false;
  if (Object.hasOwn(value, '__proto__')) return true;
  return Object.values(value).some((v) => hasProtoKey(v, depth + 1));
}
