import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { ApiEvent, ApiResult } from './http/types.ts';

/** Redoc's standalone bundle: the API reference page's only script, served by the API itself. */
export const REDOC_SCRIPT = 'redoc.standalone.js';

// The page asks nothing of any other host: its script and the document come from this API, and
// the policy tells the browser to refuse anything else (Redoc's footer logo on a CDN included).
const POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
].join('; ');

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>runlater API reference</title>
</head>
<body>
<redoc spec-url="/openapi.json"></redoc>
<script src="/docs/${REDOC_SCRIPT}"></script>
</body>
</html>
`;

let script: Promise<string> | undefined;

/**
 * Redoc's script: next to the running bundle when it was bundled (the API function's asset, the
 * CLI package), else from the installed redoc package (a clone). Read once per process.
 */
function redocScript(): Promise<string> {
  script ??= readFile(fileURLToPath(new URL(`./${REDOC_SCRIPT}`, import.meta.url)), 'utf8').catch(() =>
    readFile(redocScriptPath(), 'utf8'),
  );
  return script;
}

/** Where the installed redoc package keeps the script (for the builds that copy it beside them). */
export function redocScriptPath(): string {
  return createRequire(import.meta.url).resolve(`redoc/bundles/${REDOC_SCRIPT}`);
}

/** `GET /docs`, the API reference page for /openapi.json, and its script. Public, like the document. */
export function docsRoutes(): {
  method: 'GET';
  path: string;
  handler: (e: ApiEvent) => Promise<ApiResult>;
}[] {
  return [
    {
      method: 'GET',
      path: '/docs',
      handler: async () => ({
        statusCode: 200,
        headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': POLICY },
        body: PAGE,
      }),
    },
    {
      method: 'GET',
      path: `/docs/${REDOC_SCRIPT}`,
      handler: async () => ({
        statusCode: 200,
        headers: {
          'content-type': 'text/javascript; charset=utf-8',
          'cache-control': 'public, max-age=3600',
        },
        body: await redocScript(),
      }),
    },
  ];
}

export const DOCS_PATHS: readonly string[] = ['/docs', `/docs/${REDOC_SCRIPT}`];
