import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { FUNCTION_NAMES, type FunctionName } from '../../lambdas/entrypoints/functionEnv.ts';
import { systemClock } from '../../lambdas/core/ports.ts';
import { openApiDocument } from '../../lambdas/handlers/openapi.ts';
import { buildRoutes } from '../../lambdas/handlers/routes.ts';
import type { Runtime } from '../../lambdas/handlers/runtime.ts';
import { REGION, SynthesizedStack } from './support/synthesized.ts';

const run = promisify(execFile);
const ROOT = new URL('../..', import.meta.url).pathname;

/**
 * `npx cdk synth` as a user runs it, then each function's bundle from the cloud assembly loaded
 * as Lambda would: a fresh Node process whose environment is exactly that function's template
 * env (references as placeholder names and ARNs) plus the region Lambda sets.
 */
describe('npx cdk synth', () => {
  let out: string;
  let template: Record<string, unknown>;
  before(async () => {
    out = await mkdtemp(join(tmpdir(), 'runlater-synth-'));
    const env: Record<string, string> = {
      PATH: process.env.PATH!,
      HOME: out,
      CDK_DISABLE_VERSION_CHECK: '1',
    };
    await run('npx', ['cdk', 'synth', '-q', '--no-notices', '-o', out], { cwd: ROOT, env, timeout: 300_000 });
    template = JSON.parse(await readFile(join(out, 'RunLater.template.json'), 'utf8'));
  });
  after(() => rm(out, { recursive: true, force: true }));

  /** A function's bundle in the cloud assembly. */
  const bundleOf = (name: FunctionName) => {
    const stack = new SynthesizedStack(template);
    const key = (stack.resources[stack.functionId(name)]!.Properties!.Code as { S3Key: string }).S3Key;
    return join(out, `asset.${key.replace(/\.zip$/, '')}`, 'index.mjs');
  };

  it('synthesizes offline, with no AWS credentials and no context lookups', async () => {
    assert.ok(Object.keys(template.Resources as object).length > 50);
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
    assert.equal(manifest.missing, undefined, 'no context lookup was needed');
  });

  it('bundles the web console the API function serves at /', async () => {
    // lib/webConsole.ts puts the built console into the API function's bundle.
    const stack = new SynthesizedStack(template);
    const key = (stack.resources[stack.functionId('api')]!.Properties!.Code as { S3Key: string }).S3Key;
    const bundle = join(out, `asset.${key.replace(/\.zip$/, '')}`);
    const page = await readFile(join(bundle, 'console', 'index.html'), 'utf8');
    const script = /<script type="module" crossorigin src="\.\/(assets\/[\w.-]+\.js)"/.exec(page)?.[1];
    assert.ok(script, 'the page loads its script from the bundle');
    assert.ok((await readFile(join(bundle, 'console', script), 'utf8')).length > 1000);
  });

  // What each function's handler calls; the SDK's credential chain (STS, SSO, Signin) aside.
  const CLIENTS: Record<FunctionName, string[]> = {
    api: ['CloudWatch Logs', 'DynamoDB', 'ECR', 'ECS', 'S3', 'SQS', 'Scheduler'],
    dispatcher: ['CloudWatch Logs', 'DynamoDB', 'ECR', 'ECS', 'S3', 'SQS', 'Scheduler'],
    taskStatus: ['DynamoDB', 'SQS', 'Scheduler'],
    reconciler: ['DynamoDB', 'ECS', 'SQS', 'Scheduler'],
    scheduleFire: ['DynamoDB', 'S3', 'SQS', 'Scheduler'],
    webhookDelivery: ['DynamoDB', 'SQS'],
    jobEvents: ['EventBridge'],
  };
  for (const name of FUNCTION_NAMES)
    it(`bundles into ${name} the SDK clients its handler uses and no other`, async () => {
      const code = await readFile(bundleOf(name), 'utf8');
      // Each bundled client carries its service id as the default of its config (`serviceId ?? "ECS"`).
      const found = new Set([...code.matchAll(/serviceId\?\?"([^"]+)"/g)].map((m) => m[1]!));
      for (const credentials of ['STS', 'SSO', 'SSO OIDC', 'Signin']) found.delete(credentials);
      assert.deepEqual([...found].sort(), CLIENTS[name]);
    });

  it('carries the API schemas (and their cron library) only where input is validated, no zod translations, no whole semver', async () => {
    const withSchemas: FunctionName[] = [];
    for (const name of FUNCTION_NAMES) {
      const code = await readFile(bundleOf(name), 'utf8');
      // croner's own message: it comes in with lambdas/core/schemas.ts (schedule expressions).
      if (code.includes('stepping with numeric prefix')) withSchemas.push(name);
      // cron-parser and the luxon it needs (~100 KB) were replaced by croner, which uses Intl.
      assert.ok(!code.includes('Invalid cron expression'), `${name} carries cron-parser`);
      assert.ok(!code.includes('Invalid DateTime'), `${name} carries luxon`);
      // zod's German messages: `import { z } from 'zod'` would bring every locale in.
      assert.ok(!code.includes('ltige Eingabe'), `${name} carries zod's locales`);
      // X-Ray's SDK stays (the Tracer), with semver's gte only (lib/bundleAliases.ts): no ranges.
      assert.ok(code.includes('AWS_XRAY_CONTEXT_MISSING'), `${name} lacks X-Ray's SDK`);
      assert.ok(code.includes('Invalid Version'), `${name} lacks semver's gte`);
      assert.ok(!code.includes('Invalid comparator'), `${name} carries all of semver`);
    }
    assert.deepEqual(withSchemas, ['api', 'scheduleFire']);
  });

  it('serves from the API bundle the OpenAPI document runlater dev makes from the schemas, without zod-openapi', async () => {
    // Generated when the function was bundled (lib/openApiAsset.ts): asked of the bundle as API
    // Gateway would, it must equal what the route table's zod schemas make now.
    const stack = new SynthesizedStack(template);
    const env = {
      ...stack.functionEnv('api'),
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'x',
    };
    const event = {
      version: '2.0',
      routeKey: '$default',
      rawPath: '/openapi.json',
      rawQueryString: '',
      headers: {},
      requestContext: { http: { method: 'GET', path: '/openapi.json' }, requestId: 'r' },
      isBase64Encoded: false,
    };
    const probe = `const m = await import(${JSON.stringify(pathToFileURL(bundleOf('api')).href)});
      const res = await m.handler(${JSON.stringify(event)}, { getRemainingTimeInMillis: () => 29000 });
      process.stdout.write(JSON.stringify(res));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', probe], {
      env,
      timeout: 60_000,
    });
    const res = JSON.parse(stdout) as { statusCode: number; body: string };
    assert.equal(res.statusCode, 200, res.body);
    const routes = buildRoutes({ clock: systemClock } as Runtime);
    assert.deepEqual(JSON.parse(res.body), openApiDocument(routes));
    for (const name of FUNCTION_NAMES)
      assert.ok(
        !(await readFile(bundleOf(name), 'utf8')).includes('Failed to unwrap ZodObject'),
        `${name} carries zod-openapi`,
      );
  });

  for (const name of FUNCTION_NAMES)
    it(`loads the ${name} bundle with exactly its template env, and it exports a handler`, async () => {
      const stack = new SynthesizedStack(template);
      const bundle = bundleOf(name);
      const env = { ...stack.functionEnv(name), AWS_REGION: REGION };
      const probe = `const m = await import(${JSON.stringify(pathToFileURL(bundle).href)}); console.log(typeof m.handler);`;
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', probe], {
        env,
        timeout: 60_000,
      });
      assert.equal(stdout.trim(), 'function');
      // The source map ships beside it, for the sourceMaps prop (NODE_OPTIONS) or a reader by hand.
      assert.ok((await stat(`${bundle}.map`)).size > 0);
    });

  it('signs AWS calls with the credentials Lambda puts in the environment (the bundles carry no other chain)', async () => {
    // DynamoDB as far as the bundle can tell: it notes the Authorization header of each call.
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(String(req.headers.authorization));
      req.resume().on('end', () => {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ResourceNotFoundException' }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const stack = new SynthesizedStack(template);
      const env = {
        ...stack.functionEnv('api'),
        AWS_REGION: REGION,
        // What Lambda sets from the function's role.
        AWS_ACCESS_KEY_ID: 'ASIALAMBDAROLEKEY',
        AWS_SECRET_ACCESS_KEY: 'secret',
        AWS_SESSION_TOKEN: 'session',
        AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      };
      const event = {
        version: '2.0',
        routeKey: '$default',
        rawPath: '/v1/workers',
        rawQueryString: '',
        headers: { authorization: 'Bearer rl_probe' },
        requestContext: { http: { method: 'GET', path: '/v1/workers' }, requestId: 'r' },
        isBase64Encoded: false,
      };
      const probe = `const m = await import(${JSON.stringify(pathToFileURL(bundleOf('api')).href)});
        await m.handler(${JSON.stringify(event)}, { getRemainingTimeInMillis: () => 29000 });`;
      await run(process.execPath, ['--input-type=module', '-e', probe], { env, timeout: 60_000 });
    } finally {
      server.close();
    }
    assert.ok(seen.length > 0, 'the API read its tokens table');
    for (const auth of seen) assert.match(auth, /Credential=ASIALAMBDAROLEKEY\//);
    // ...and no bundle carries the rest of the SDK's chain (its STS client, for one).
    for (const name of FUNCTION_NAMES)
      assert.doesNotMatch(await readFile(bundleOf(name), 'utf8'), /AssumeRoleWithWebIdentity/, name);
  });
});
