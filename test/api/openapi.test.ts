import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import openapiTS, { astToString } from 'openapi-typescript';
import { LIMITS } from '../../lambdas/core/limits.ts';
import { startTestServer, type TestServer } from '../support/testServer.ts';
import { ensureTestImages } from '../support/images.ts';
import { buildRoutes } from '../../lambdas/handlers/routes.ts';
import type { Runtime } from '../../lambdas/handlers/runtime.ts';
import { systemClock } from '../../lambdas/core/ports.ts';

const run = promisify(execFile);
const ROOT = new URL('../..', import.meta.url).pathname;

/** The served document, checked as the ecosystem's tools check it. */
describe('the served OpenAPI document', () => {
  let server: TestServer;
  let doc: any;
  let dir: string;
  const routes = buildRoutes({ clock: systemClock } as Runtime);
  before(async () => {
    server = await startTestServer();
    dir = await mkdtemp(join(tmpdir(), 'runlater-openapi-'));
    const res = await server.api('GET', '/openapi.json', undefined, { token: null });
    assert.equal(res.status, 200);
    doc = res.body;
  });
  after(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('passes redocly lint with no error and no warning', async () => {
    const file = join(dir, 'openapi.json');
    await writeFile(file, JSON.stringify(doc));
    const { stdout, stderr } = await run(
      process.execPath,
      [
        join(ROOT, 'node_modules/@redocly/cli/bin/cli.js'),
        'lint',
        '--config',
        join(ROOT, 'redocly.yaml'),
        file,
      ],
      { env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } },
    ).catch((err: { stdout: string; stderr: string }) =>
      assert.fail(`lint failed:\n${err.stdout}\n${err.stderr}`),
    );
    assert.match(stdout + stderr, /Your API description is valid/);
    assert.doesNotMatch(stdout + stderr, /warning/i, stdout + stderr);
  });

  it('generates types with openapi-typescript that a program type-checks against', async () => {
    const types = astToString(await openapiTS(doc));
    await writeFile(join(dir, 'api.gen.ts'), types);
    await copyFile(join(ROOT, 'test/api/openapiClient/program.ts'), join(dir, 'program.ts'));
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const options = ['--noEmit', '--strict', '--noUncheckedIndexedAccess', '--target', 'es2022'];
    const modules = ['--module', 'esnext', '--moduleResolution', 'bundler', '--allowImportingTsExtensions'];
    const types_ = ['--skipLibCheck', '--typeRoots', join(ROOT, 'node_modules/@types'), '--types', 'node'];
    await run(process.execPath, [tsc, ...options, ...modules, ...types_, join(dir, 'program.ts')]).catch(
      (err: { stdout: string }) => assert.fail(`the generated types do not type-check:\n${err.stdout}`),
    );
  });

  it('lets that program create a worker, queue a job and read its output', async () => {
    await ensureTestImages();
    // The copy beside the generated types, imported by a computed path so the project's own
    // type-check does not follow it to types that exist only once this test has made them.
    const program = join(dir, 'program.ts');
    const { createQueueAndRead } = await import(program);
    const { worker, job, lines } = await createQueueAndRead(server.url, server.token, 'openapi-client');
    assert.equal(worker.name, 'openapi-client');
    assert.equal(job.status, 'succeeded');
    assert.deepEqual(lines, [`hello from ${job.id}`]);
  });

  it('names, tags and secures every served operation, and only those', () => {
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops as Record<string, any>).map(([method, op]) => ({
        key: `${method.toUpperCase()} ${path}`,
        op,
      })),
    );
    assert.deepEqual(operations.map((o) => o.key).sort(), routes.map((r) => `${r.method} ${r.path}`).sort());
    const ids = operations.map((o) => o.op.operationId);
    assert.equal(new Set(ids).size, ids.length, 'operationIds are unique');
    for (const { key, op } of operations) {
      assert.ok(op.operationId && op.tags?.length === 1, `${key} has an operationId and a tag`);
      const isPublic = ['GET /v1/health', 'GET /openapi.json'].includes(key);
      assert.deepEqual(op.security, isPublic ? [] : [{ bearer: [] }], `${key} security`);
      const statuses = Object.keys(op.responses);
      if (isPublic) assert.deepEqual(statuses, ['200'], `${key} answers only 200`);
      else
        assert.ok(
          statuses.some((s) => s.startsWith('4')),
          `${key} lists its 4xx`,
        );
    }
    assert.ok(doc.servers.length >= 1);
    assert.equal(doc.info.license.identifier, 'Apache-2.0');
    assert.equal(doc.components.securitySchemes.bearer.scheme, 'bearer');
  });

  it('lists exactly the statuses each route answers', () => {
    const statuses = (method: string, path: string) => Object.keys(doc.paths[path][method].responses).sort();
    assert.deepEqual(statuses('get', '/v1/health'), ['200']);
    assert.deepEqual(statuses('get', '/v1/workers'), ['200', '401', '403']);
    assert.deepEqual(statuses('get', '/v1/jobs/{id}'), ['200', '400', '401', '403', '404']);
    assert.deepEqual(statuses('post', '/v1/jobs'), ['200', '202', '400', '401', '403', '409', '413', '415']);
    assert.deepEqual(statuses('post', '/v1/jobs/{id}/cancel'), [
      '202',
      '400',
      '401',
      '403',
      '404',
      '409',
      '503',
    ]);
    assert.deepEqual(statuses('delete', '/v1/tokens/{id}'), ['204', '400', '401', '403', '404']);
  });

  it('resolves every $ref, the job status filter included', () => {
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!);
    assert.ok(refs.length > 10);
    for (const ref of refs) {
      const name = /^#\/components\/schemas\/(.+)$/.exec(ref)?.[1];
      assert.ok(name && doc.components.schemas[name], `${ref} resolves`);
    }
    const status = doc.paths['/v1/jobs'].get.parameters.find((p: any) => p.name === 'status');
    assert.equal(status.schema.$ref, '#/components/schemas/JobStatus');
  });

  it('states the job statuses, the stdin limit and the env limits the code enforces', () => {
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
    const jobEnv = doc.components.schemas.CreateJobRequest.properties.env;
    assert.equal(jobEnv.maxProperties, LIMITS.jobEnvVars);
    assert.match(jobEnv.description, /50 variables, 4,096 characters .* 5,300 characters as the JSON/);
    const workerEnv = doc.components.schemas.CreateWorkerRequest.properties.env;
    assert.equal(workerEnv.maxProperties, LIMITS.workerEnvVars);
    assert.match(workerEnv.description, /100 variables and 32,768 characters/);
  });

  it('gives examples of the request bodies', () => {
    for (const [path, method] of [
      ['/v1/workers', 'post'],
      ['/v1/jobs', 'post'],
      ['/v1/schedules', 'post'],
      ['/v1/tokens', 'post'],
    ] as const) {
      const ref = doc.paths[path][method].requestBody.content['application/json'].schema.$ref;
      const schema = doc.components.schemas[ref.split('/').pop()];
      assert.ok(schema.examples?.length, `${method} ${path} has an example`);
    }
  });
});
