import { z } from 'zod';
import { ErrorSchema } from '../core/schemas.ts';
import type { RouteSpec } from './routes.ts';

const ERRORS: Record<number, string> = {
  400: 'Bad input; `field` names it',
  401: 'Missing or wrong bearer token',
  403: 'The token lacks the scope',
  404: 'Unknown resource',
  409: 'Conflict with the current state',
  413: 'Too large',
  429: 'Throttled',
};

/** The OpenAPI 3.1 document of the routes, generated from the same zod schemas that validate requests. */
export function openApiDocument(routes: RouteSpec[]): Record<string, unknown> {
  const refOf = (schema: z.ZodType) => {
    const id = z.globalRegistry.get(schema)?.id;
    return id ? { $ref: `#/components/schemas/${id}` } : toSchema(schema);
  };
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const params: unknown[] = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    if (r.query) {
      const shape =
        (toSchema(r.query) as { properties?: Record<string, unknown>; required?: string[] }).properties ?? {};
      for (const [name, schema] of Object.entries(shape))
        params.push({ name, in: 'query', required: false, schema });
    }
    for (const h of r.headers ?? [])
      params.push({
        name: h.name,
        in: 'header',
        required: false,
        description: h.description,
        schema: { type: 'string' },
      });
    const responses: Record<string, unknown> = {};
    for (const [status, schema] of Object.entries(r.responses)) {
      responses[status] = schema
        ? { description: 'OK', content: { 'application/json': { schema: refOf(schema) } } }
        : { description: status === '204' ? 'No content' : 'OK' };
    }
    for (const [status, description] of Object.entries(ERRORS)) {
      if (!r.scope && (status === '401' || status === '403')) continue;
      responses[status] = { description, content: { 'application/json': { schema: refOf(ErrorSchema) } } };
    }
    (paths[r.path] ??= {})[r.method.toLowerCase()] = {
      summary: r.summary,
      ...(r.scope ? { security: [{ bearer: [r.scope] }] } : { security: [] }),
      ...(params.length ? { parameters: params } : {}),
      ...(r.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: refOf(r.body) } } } }
        : {}),
      responses,
    };
  }
  const components = z.toJSONSchema(z.globalRegistry, {
    target: 'draft-2020-12',
    uri: (id) => `#/components/schemas/${id}`,
    io: 'input',
    unrepresentable: 'any',
  }) as { schemas: Record<string, Record<string, unknown>> };
  for (const schema of Object.values(components.schemas)) delete schema.$id;
  return {
    openapi: '3.1.0',
    info: { title: 'runlater', version: '1.0.0', description: 'Run any container image later.' },
    components: {
      schemas: components.schemas,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    },
    security: [{ bearer: [] }],
    paths,
  };
}

function toSchema(schema: z.ZodType): Record<string, unknown> {
  const s = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete s.$schema;
  return s;
}
