import { readFile } from 'node:fs/promises';

/** The file the API function's bundle carries beside index.mjs (written by lib/openApiAsset.ts). */
export const OPENAPI_FILE = 'openapi.json';

let document: Promise<Record<string, unknown>> | undefined;

/**
 * The OpenAPI document generated from the route table's zod schemas when the API function was
 * bundled: reading it spares the bundle zod-openapi (and each cold start the generating). The route
 * table it is asked for is the one it was generated from, so it is not looked at. Read once.
 */
export function bundledOpenApiDocument(): Promise<Record<string, unknown>> {
  document ??= readFile(new URL(`./${OPENAPI_FILE}`, import.meta.url), 'utf8').then(
    (text) => JSON.parse(text) as Record<string, unknown>,
  );
  return document;
}
