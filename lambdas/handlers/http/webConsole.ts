import type { MiddlewareObj } from '@middy/core';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ApiEvent, ApiResult } from './types.ts';

/**
 * The web console's files, served by the API itself in front of the token check: the page holds no
 * data, and every call it makes to /v1 carries the token the user signs in with. Only `/`, the
 * favicon and the flat, hash-named files under /assets/ are served; anything else goes on to the API.
 */
const CONSOLE_PATH =
  /^\/(?:favicon\.svg|assets\/[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.(?:js|css|svg|png|woff2))?$/;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

/**
 * Nothing inline, nothing from another host: scripts, styles and images come from this origin only,
 * the page talks to this origin only, and no other site may frame it.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/**
 * Where the built console is: in the Lambda bundle (CDK copies web/dist to `console/` beside the
 * handler, see lib/webConsole.ts), else web/dist in this checkout (`npm run build:web`).
 */
export function consoleDir(): string {
  if (process.env.RUNLATER_CONSOLE_DIR) return process.env.RUNLATER_CONSOLE_DIR;
  if (process.env.LAMBDA_TASK_ROOT) return join(process.env.LAMBDA_TASK_ROOT, 'console');
  return fileURLToPath(new URL('../../../web/dist/', import.meta.url));
}

export function webConsole(dir = consoleDir()): MiddlewareObj<ApiEvent, ApiResult> {
  return {
    before: async (request) => {
      const { rawPath, requestContext } = request.event;
      if (requestContext.http.method !== 'GET' || !CONSOLE_PATH.test(rawPath)) return undefined;
      const file = rawPath === '/' ? 'index.html' : rawPath.slice(1);
      let body: Buffer;
      try {
        body = await readFile(join(dir, file));
      } catch {
        return rawPath === '/' ? notBuilt() : notFound(rawPath);
      }
      // File names under /assets/ change with their content; the page itself must be asked for again.
      const cache = file.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
      return {
        statusCode: 200,
        headers: { ...SECURITY_HEADERS, 'content-type': TYPES[extname(file)]!, 'cache-control': cache },
        body: body.toString('base64'),
        isBase64Encoded: true,
      };
    },
  };
}

function notBuilt(): ApiResult {
  return {
    statusCode: 503,
    headers: {
      ...SECURITY_HEADERS,
      'content-type': 'text/plain; charset=utf-8',
      'cache-control': 'no-cache',
    },
    body: 'The runlater web console is not built here: run `npm run build:web` (the API under /v1 works without it).\n',
  };
}

function notFound(path: string): ApiResult {
  return {
    statusCode: 404,
    headers: { ...SECURITY_HEADERS, 'content-type': 'application/json' },
    body: JSON.stringify({ error: { code: 'not_found', message: `no console file ${path}` } }),
  };
}
