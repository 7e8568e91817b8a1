import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../lambdas/core/ports.ts';
import { OPENAPI_FILE } from '../lambdas/entrypoints/bundledOpenApi.ts';
import { openApiDocument } from '../lambdas/handlers/openapi.ts';
import { buildRoutes } from '../lambdas/handlers/routes.ts';
import type { Runtime } from '../lambdas/handlers/runtime.ts';

/**
 * The API's OpenAPI document as `runlater dev` serves it, generated here from the route table's zod
 * schemas: the route table needs no adapters to be described. The API function's bundle gets it as
 * a file beside index.mjs (lambdas/entrypoints/bundledOpenApi.ts reads it), so it is made from the
 * same schemas at every synth and cannot drift from them.
 */
export function generatedOpenApiDocument(): Record<string, unknown> {
  return openApiDocument(buildRoutes({ clock: systemClock } as Runtime));
}

let written: string | undefined;

/** A file holding the document, written once per synth, for the bundling hook to copy. */
export function openApiAssetFile(): string {
  if (!written) {
    written = join(mkdtempSync(join(tmpdir(), 'runlater-openapi-')), OPENAPI_FILE);
    writeFileSync(written, JSON.stringify(generatedOpenApiDocument()));
  }
  return written;
}
