import * as z from 'zod';
import { JobAdmin } from '../core/JobAdmin.ts';
import { JobService } from '../core/JobService.ts';
import {
  CreateJobRequest,
  CreateScheduleRequest,
  CreateTokenRequest,
  CreatedToken,
  CreatedWorker,
  Delivery,
  WebhookSecret,
  TokenInfo,
  CreateWorkerRequest,
  Job,
  ListJobsQuery,
  LogsPage,
  LogsQuery,
  PurgeJobsRequest,
  PurgeResult,
  RerunJobRequest,
  Schedule,
  SecretInfo,
  SecretNameParams,
  SetSecretRequest,
  UpdateWorkerRequest,
  Worker,
  WorkerStats,
} from '../core/schemas.ts';
import { ScheduleService } from '../core/ScheduleService.ts';
import { TokenService } from '../core/TokenService.ts';
import { Scope } from '../core/tokens.ts';
import { WorkerService } from '../core/WorkerService.ts';
import { workerStats } from '../core/workerStats.ts';
import { ConcurrencyGate } from '../core/ConcurrencyGate.ts';
import { GetJobQuery, IdempotencyHeaders, JobIdParams, NameParams, TokenIdParams } from './http/params.ts';
import { PollingJobWatcher, readUntilFinal } from '../core/longPoll.ts';
import { ConflictError, NotFoundError } from '../core/errors.ts';
import type { SecretStore } from '../core/ports.ts';
import { json, noContent } from './http/responses.ts';
import { route, type Route } from './http/route.ts';
import type { Runtime } from './runtime.ts';

export type { Route } from './http/route.ts';

export const WorkerList = z.object({ workers: z.array(Worker) }).meta({ id: 'WorkerList' });
export const JobList = z
  .object({
    jobs: z.array(Job),
    nextCursor: z.string().optional().meta({ description: 'Pass back as cursor for the next page' }),
  })
  .meta({ id: 'JobList' });
export const ScheduleList = z.object({ schedules: z.array(Schedule) }).meta({ id: 'ScheduleList' });
export const TokenList = z.object({ tokens: z.array(TokenInfo) }).meta({ id: 'TokenList' });
export const DeliveryList = z.object({ deliveries: z.array(Delivery) }).meta({ id: 'DeliveryList' });
export const SecretList = z.object({ secrets: z.array(SecretInfo) }).meta({ id: 'SecretList' });
export const Health = z.object({ ok: z.literal(true) }).meta({ id: 'Health' });

/** Routes anyone may call; every other route needs a bearer token (API Gateway attaches the authorizer to them). */
export const PUBLIC_PATHS: readonly string[] = ['/v1/health', '/openapi.json'];

const LOCATION = {
  description: 'The URL of the job',
  schema: z.string().meta({ example: '/v1/jobs/01kb2x7d3q9m4v8e6r5t0y1z2w' }),
};

/** Time a long-poll leaves the function to answer in, before Lambda's timeout. */
const LONG_POLL_MARGIN_MS = 3000;

const ok = <S extends z.ZodType>(description: string, schema: S) => ({ description, schema });

export function buildRoutes(runtime: Runtime): Route[] {
  const workers = new WorkerService(runtime.workers, runtime.clock, runtime.onWorkerChanged);
  const jobs = new JobService(runtime);
  const admin = new JobAdmin(runtime);
  const tokens = new TokenService(runtime.tokens, runtime.clock);
  const schedules = new ScheduleService({ ...runtime, trigger: runtime.scheduleTrigger, jobs });
  const secrets = (): SecretStore => {
    if (!runtime.secrets)
      throw new ConflictError(
        'this runlater keeps no secrets itself: on AWS, keep them in Secrets Manager or SSM Parameter Store under runlater/ and name their ARNs in the worker',
      );
    return runtime.secrets;
  };
  const watcher = runtime.watcher ?? new PollingJobWatcher();
  const routes: Route[] = [
    route({
      method: 'GET',
      path: '/v1/health',
      operationId: 'getHealth',
      tag: 'Service',
      summary: 'Liveness check',
      responses: { 200: ok('The API answers', Health) },
      handler: async () => json(200, { ok: true }),
    }),
    route({
      method: 'GET',
      path: '/openapi.json',
      operationId: 'getOpenApiDocument',
      tag: 'Service',
      summary: 'This document',
      responses: { 200: { description: 'The OpenAPI 3.1 document of this API' } },
      handler: async () => {
        // Every API runtime has one (runtime.ts): its absence is a wiring mistake, not bad input.
        if (!runtime.openApiDocument) throw new Error('this runtime has no OpenAPI document');
        return json(200, await runtime.openApiDocument(routes));
      },
    }),
    route({
      method: 'POST',
      path: '/v1/workers',
      operationId: 'createWorker',
      tag: 'Workers',
      summary: 'Register a worker',
      scope: Scope.Admin,
      body: CreateWorkerRequest,
      responses: {
        201: ok(
          'The worker, with defaults filled in, and its webhook secret (shown this once)',
          CreatedWorker,
        ),
      },
      errors: [409, 413],
      handler: async ({ body }) => json(201, await workers.create(body)),
    }),
    route({
      method: 'GET',
      path: '/v1/workers',
      operationId: 'listWorkers',
      tag: 'Workers',
      summary: 'List workers',
      scope: Scope.Admin,
      responses: { 200: ok('Every worker, by name', WorkerList) },
      handler: async () => json(200, { workers: await workers.list() }),
    }),
    route({
      method: 'GET',
      path: '/v1/workers/{name}',
      operationId: 'getWorker',
      tag: 'Workers',
      summary: 'Show a worker',
      scope: Scope.Admin,
      params: NameParams,
      responses: { 200: ok('The worker', Worker) },
      errors: [404],
      handler: async ({ params }) => json(200, await workers.get(params.name)),
    }),
    route({
      method: 'PUT',
      path: '/v1/workers/{name}',
      operationId: 'replaceWorker',
      tag: 'Workers',
      summary: "Replace a worker's settings",
      scope: Scope.Admin,
      params: NameParams,
      body: UpdateWorkerRequest,
      responses: { 200: ok('The worker as now stored', Worker) },
      errors: [404, 409, 413],
      handler: async ({ params, body }) => {
        const worker = await workers.update(params.name, body);
        // A limit raised or removed takes effect for the jobs already held back.
        await new ConcurrencyGate(runtime).wake(worker.name);
        return json(200, worker);
      },
    }),
    route({
      method: 'GET',
      path: '/v1/workers/{name}/stats',
      operationId: 'getWorkerStats',
      tag: 'Workers',
      summary: "Count a worker's jobs by state (queued, held back, starting, running, finished lately)",
      scope: Scope.Jobs,
      params: NameParams,
      responses: { 200: ok("The worker's counts", WorkerStats) },
      errors: [404],
      handler: async ({ params }) => json(200, await workerStats(runtime, params.name)),
    }),
    route({
      method: 'DELETE',
      path: '/v1/workers/{name}',
      operationId: 'deleteWorker',
      tag: 'Workers',
      summary: 'Delete a worker (its jobs stay readable)',
      scope: Scope.Admin,
      params: NameParams,
      responses: { 204: { description: 'Deleted' } },
      errors: [404],
      handler: async ({ params }) => {
        await workers.delete(params.name);
        return noContent();
      },
    }),
    route({
      method: 'POST',
      path: '/v1/workers/{name}/webhook-secret',
      operationId: 'rotateWebhookSecret',
      tag: 'Workers',
      summary: "Replace a worker's webhook secret; the new one is shown this once",
      scope: Scope.Admin,
      params: NameParams,
      responses: { 200: ok('The new secret: deliveries from now on are signed with it', WebhookSecret) },
      errors: [404, 409],
      handler: async ({ params }) => json(200, await workers.rotateWebhookSecret(params.name)),
    }),
    route({
      method: 'POST',
      path: '/v1/jobs',
      operationId: 'createJob',
      tag: 'Jobs',
      summary: 'Queue a job',
      scope: Scope.Jobs,
      body: CreateJobRequest,
      headers: IdempotencyHeaders,
      responses: {
        202: { ...ok('Queued', Job), headers: { location: LOCATION } },
        200: {
          ...ok('An Idempotency-Key replay: the job first queued with it', Job),
          headers: { location: LOCATION },
        },
      },
      errors: [409, 413],
      handler: async ({ body, headers }) => {
        const key = headers['idempotency-key'];
        const { job, created } = await jobs.submit(body, key === undefined ? {} : { idempotencyKey: key });
        return json(created ? 202 : 200, job, { location: `/v1/jobs/${job.id}` });
      },
    }),
    route({
      method: 'GET',
      path: '/v1/jobs',
      operationId: 'listJobs',
      tag: 'Jobs',
      summary: "List jobs, newest first (an array's children by index with parent=ID)",
      scope: Scope.Jobs,
      query: ListJobsQuery,
      responses: { 200: ok('One page of jobs', JobList) },
      // An unknown parent.
      errors: [404],
      handler: async ({ query }) => json(200, await jobs.list(query)),
    }),
    route({
      method: 'GET',
      path: '/v1/jobs/{id}',
      operationId: 'getJob',
      tag: 'Jobs',
      summary:
        'Show a job; with waitSeconds, wait (long-poll) until it is final or that many seconds have passed',
      scope: Scope.Jobs,
      params: JobIdParams,
      query: GetJobQuery,
      responses: { 200: ok('The job (with waitSeconds: final, or as it is when the wait ran out)', Job) },
      errors: [404],
      handler: async ({ params, query, remainingMs }) => {
        // The answer must leave before the function is cut off: keep a margin for shaping it.
        const waitMs = Math.min(query.waitSeconds * 1000, remainingMs - LONG_POLL_MARGIN_MS);
        return json(200, await readUntilFinal(() => jobs.get(params.id), watcher, params.id, waitMs));
      },
    }),
    route({
      method: 'GET',
      path: '/v1/jobs/{id}/logs',
      operationId: 'getJobLogs',
      tag: 'Jobs',
      summary: "Read a job's output, in order; pass nextCursor back to follow",
      scope: Scope.Jobs,
      params: JobIdParams,
      query: LogsQuery,
      responses: { 200: ok('One page of output lines', LogsPage) },
      errors: [404, 503],
      handler: async ({ params, query }) => json(200, await jobs.logs(params.id, query)),
    }),
    route({
      method: 'GET',
      path: '/v1/jobs/{id}/deliveries',
      operationId: 'listJobDeliveries',
      tag: 'Jobs',
      summary: "A job's webhook deliveries, each with its attempts (time, response code, error)",
      scope: Scope.Jobs,
      params: JobIdParams,
      responses: { 200: ok('Its deliveries, oldest first', DeliveryList) },
      errors: [404],
      handler: async ({ params }) => json(200, { deliveries: await jobs.deliveries(params.id) }),
    }),
    route({
      method: 'POST',
      path: '/v1/jobs/{id}/cancel',
      operationId: 'cancelJob',
      tag: 'Jobs',
      summary: 'Cancel a job: a queued one never starts, a running one is stopped',
      scope: Scope.Jobs,
      params: JobIdParams,
      responses: { 202: ok('Cancelled, or marked to be stopped', Job) },
      errors: [404, 409, 503],
      handler: async ({ params }) => json(202, await jobs.cancel(params.id)),
    }),
    route({
      method: 'POST',
      path: '/v1/jobs/{id}/rerun',
      operationId: 'rerunJob',
      tag: 'Jobs',
      summary:
        'Queue a finished job again as a new job: same worker, stdin, env and settings, with optional overrides. Its stdin must still exist: 410 once retention removed it',
      scope: Scope.Jobs,
      params: JobIdParams,
      body: RerunJobRequest,
      bodyOptional: true,
      responses: {
        202: {
          ...ok('The new job, queued; its rerunOf names the original', Job),
          headers: { location: LOCATION },
        },
      },
      errors: [404, 409, 410],
      handler: async ({ params, body }) => {
        const job = await admin.rerun(params.id, body);
        return json(202, job, { location: `/v1/jobs/${job.id}` });
      },
    }),
    route({
      method: 'DELETE',
      path: '/v1/jobs/{id}',
      operationId: 'deleteJob',
      tag: 'Jobs',
      summary: 'Delete a finished job with its stdin and output (409 while it is queued or runs)',
      scope: Scope.Jobs,
      params: JobIdParams,
      responses: { 204: { description: 'Deleted' } },
      errors: [404, 409],
      handler: async ({ params }) => {
        await admin.delete(params.id);
        return noContent();
      },
    }),
    route({
      method: 'POST',
      path: '/v1/jobs/purge',
      operationId: 'purgeJobs',
      tag: 'Jobs',
      summary:
        'Delete finished jobs by worker, status and age, at most `limit` a call; call again while `more`',
      scope: Scope.Jobs,
      body: PurgeJobsRequest,
      bodyOptional: true,
      responses: { 200: ok('How many jobs were deleted', PurgeResult) },
      handler: async ({ body }) => json(200, await admin.purge(body)),
    }),
    route({
      method: 'POST',
      path: '/v1/schedules',
      operationId: 'createSchedule',
      tag: 'Schedules',
      summary: 'Create a recurring schedule; each run queues a normal job',
      scope: Scope.Jobs,
      body: CreateScheduleRequest,
      responses: { 201: ok('The schedule, with its next run', Schedule) },
      errors: [409, 413],
      handler: async ({ body }) => json(201, await schedules.create(body)),
    }),
    route({
      method: 'GET',
      path: '/v1/schedules',
      operationId: 'listSchedules',
      tag: 'Schedules',
      summary: 'List schedules',
      scope: Scope.Jobs,
      responses: { 200: ok('Every schedule, by name', ScheduleList) },
      handler: async () => json(200, { schedules: await schedules.list() }),
    }),
    route({
      method: 'GET',
      path: '/v1/schedules/{name}',
      operationId: 'getSchedule',
      tag: 'Schedules',
      summary: 'Show a schedule',
      scope: Scope.Jobs,
      params: NameParams,
      responses: { 200: ok('The schedule', Schedule) },
      errors: [404],
      handler: async ({ params }) => json(200, await schedules.get(params.name)),
    }),
    route({
      method: 'POST',
      path: '/v1/schedules/{name}/pause',
      operationId: 'pauseSchedule',
      tag: 'Schedules',
      summary: 'Pause a schedule: it fires no more until resumed',
      scope: Scope.Jobs,
      params: NameParams,
      responses: { 200: ok('The paused schedule', Schedule) },
      errors: [404],
      handler: async ({ params }) => json(200, await schedules.setPaused(params.name, true)),
    }),
    route({
      method: 'POST',
      path: '/v1/schedules/{name}/resume',
      operationId: 'resumeSchedule',
      tag: 'Schedules',
      summary: 'Resume a paused schedule',
      scope: Scope.Jobs,
      params: NameParams,
      responses: { 200: ok('The schedule, with its next run', Schedule) },
      errors: [404],
      handler: async ({ params }) => json(200, await schedules.setPaused(params.name, false)),
    }),
    route({
      method: 'DELETE',
      path: '/v1/schedules/{name}',
      operationId: 'deleteSchedule',
      tag: 'Schedules',
      summary: 'Delete a schedule (the jobs it queued stay)',
      scope: Scope.Jobs,
      params: NameParams,
      responses: { 204: { description: 'Deleted' } },
      errors: [404],
      handler: async ({ params }) => {
        await schedules.delete(params.name);
        return noContent();
      },
    }),
    route({
      method: 'POST',
      path: '/v1/tokens',
      operationId: 'createToken',
      tag: 'Tokens',
      summary: 'Make an API token (shown once)',
      scope: Scope.Admin,
      body: CreateTokenRequest,
      responses: { 201: ok('The token: keep it, it is not shown again', CreatedToken) },
      errors: [413],
      handler: async ({ body }) => json(201, await tokens.create(body)),
    }),
    route({
      method: 'GET',
      path: '/v1/tokens',
      operationId: 'listTokens',
      tag: 'Tokens',
      summary: 'List API tokens (never the tokens themselves)',
      scope: Scope.Admin,
      responses: { 200: ok('Every token, oldest first', TokenList) },
      handler: async () => json(200, { tokens: await tokens.list() }),
    }),
    route({
      method: 'DELETE',
      path: '/v1/tokens/{id}',
      operationId: 'revokeToken',
      tag: 'Tokens',
      summary: 'Revoke an API token',
      scope: Scope.Admin,
      params: TokenIdParams,
      responses: { 204: { description: 'Revoked' } },
      errors: [404],
      handler: async ({ params }) => {
        await tokens.revoke(params.id);
        return noContent();
      },
    }),
    route({
      method: 'PUT',
      path: '/v1/secrets/{name}',
      operationId: 'setSecret',
      tag: 'Secrets',
      summary: 'Set a secret (runlater dev): workers name it in `secrets`; its value is never shown again',
      scope: Scope.Admin,
      params: SecretNameParams,
      body: SetSecretRequest,
      responses: { 204: { description: 'Set' } },
      errors: [409, 413],
      handler: async ({ params, body }) => {
        await secrets().set(params.name, body.value);
        return noContent();
      },
    }),
    route({
      method: 'GET',
      path: '/v1/secrets',
      operationId: 'listSecrets',
      tag: 'Secrets',
      summary: 'List secrets by name (never their values)',
      scope: Scope.Admin,
      responses: { 200: ok('Every secret, by name', SecretList) },
      errors: [409],
      handler: async () => json(200, { secrets: await secrets().list() }),
    }),
    route({
      method: 'DELETE',
      path: '/v1/secrets/{name}',
      operationId: 'deleteSecret',
      tag: 'Secrets',
      summary: 'Delete a secret (jobs that name it then fail to start)',
      scope: Scope.Admin,
      params: SecretNameParams,
      responses: { 204: { description: 'Deleted' } },
      errors: [404, 409],
      handler: async ({ params }) => {
        if (!(await secrets().delete(params.name)))
          throw new NotFoundError(`secret "${params.name}" does not exist`);
        return noContent();
      },
    }),
  ];
  return routes;
}
