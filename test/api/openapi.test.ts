import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildRoutes } from '../../lambdas/handlers/routes.ts';
import { openApiDocument } from '../../lambdas/handlers/openapi.ts';
import type { Runtime } from '../../lambdas/handlers/runtime.ts';
import { systemClock } from '../../lambdas/core/ports.ts';
import { LIMITS } from '../../lambdas/core/limits.ts';

/** The document is generated from the served route table: check it is whole and self-consistent. */
describe('the OpenAPI document', () => {
  const routes = buildRoutes({ clock: systemClock } as Runtime);
  const doc = openApiDocument(routes) as any;

  it('lists every served route, and only those', () => {
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops as object).map((m) => `${m.toUpperCase()} ${path}`),
    );
    assert.deepEqual(documented.sort(), routes.map((r) => `${r.method} ${r.path}`).sort());
  });

  it('covers the public contract of the brief', () => {
    for (const route of [
      'get /v1/health',
      'get /openapi.json',
      'post /v1/workers',
      'get /v1/workers',
      'get /v1/workers/{name}',
      'put /v1/workers/{name}',
      'delete /v1/workers/{name}',
      'post /v1/jobs',
      'get /v1/jobs',
      'get /v1/jobs/{id}',
      'get /v1/jobs/{id}/logs',
      'post /v1/jobs/{id}/cancel',
    ]) {
      const [method, path] = route.split(' ') as [string, string];
      assert.ok(doc.paths[path]?.[method], `${route} is documented`);
    }
  });

  it('resolves every $ref', () => {
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map(
      (m) => m[1]!,
    );
    assert.ok(refs.length > 10);
    for (const ref of refs) assert.ok(doc.components.schemas[ref], `schema ${ref} exists`);
  });

  it('states the job statuses and the stdin limit the code enforces', () => {
    assert.deepEqual(doc.components.schemas.JobStatus.enum, [
      'queued',
      'starting',
      'running',
      'succeeded',
      'failed',
      'timed_out',
      'cancelled',
    ]);
    assert.equal(doc.components.schemas.CreateJobRequest.additionalProperties, false);
    assert.ok(doc.paths['/v1/jobs'].post.responses['413']);
  });

  it('states the env limits the code enforces', () => {
    const jobEnv = doc.components.schemas.CreateJobRequest.properties.env;
    assert.equal(jobEnv.maxProperties, LIMITS.jobEnvVars);
    assert.match(jobEnv.description, /50 variables, 4,096 characters .* 5,300 characters as the JSON/);
    const workerEnv = doc.components.schemas.CreateWorkerRequest.properties.env;
    assert.equal(workerEnv.maxProperties, LIMITS.workerEnvVars);
    assert.match(workerEnv.description, /100 variables and 32,768 characters/);
  });
});
