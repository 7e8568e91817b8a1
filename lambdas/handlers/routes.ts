import { z } from 'zod';
import { ForbiddenError, UnauthorizedError } from '../core/errors.ts';
import { JobService } from '../core/JobService.ts';
import {
  CreateJobRequest,
  CreateScheduleRequest,
  CreateTokenRequest,
  CreatedToken,
  TokenInfo,
  CreateWorkerRequest,
  Job,
  ListJobsQuery,
  LogsPage,
  LogsQuery,
  Schedule,
  UpdateWorkerRequest,
  Worker,
} from '../core/schemas.ts';
import { ScheduleService } from '../core/ScheduleService.ts';
import { TokenService } from '../core/TokenService.ts';
import { Scope } from '../core/tokens.ts';
import { WorkerService } from '../core/WorkerService.ts';
import { header, json, jsonBody, noContent, pathParam } from './http/responses.ts';
import type { ApiEvent, ApiResult } from './http/types.ts';
import { openApiDocument } from './openapi.ts';
import type { Runtime } from './runtime.ts';

/**
 * The API's routes, described once: the router serves them and the OpenAPI document is generated
 * from the same table, so the document lists exactly what is served.
 */
export interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  summary: string;
  /** Who may call it; undefined for public routes. */
  scope?: Scope;
  body?: z.ZodType;
  query?: z.ZodType;
  responses: Record<number, z.ZodType | null>;
  headers?: { name: string; description: string }[];
  handler: (event: ApiEvent) => Promise<ApiResult>;
}

const WorkerList = z.object({ workers: z.array(Worker) }).meta({ id: 'WorkerList' });
const JobList = z.object({ jobs: z.array(Job), nextCursor: z.string().optional() }).meta({ id: 'JobList' });
const ScheduleList = z.object({ schedules: z.array(Schedule) }).meta({ id: 'ScheduleList' });
const TokenList = z.object({ tokens: z.array(TokenInfo) }).meta({ id: 'TokenList' });
const Health = z.object({ ok: z.literal(true) }).meta({ id: 'Health' });

/** Routes anyone may call; every other route needs a bearer token (API Gateway attaches the authorizer to them). */
export const PUBLIC_PATHS: readonly string[] = ['/v1/health', '/openapi.json'];

export function buildRoutes(runtime: Runtime): RouteSpec[] {
  const workers = new WorkerService(runtime.workers, runtime.clock, runtime.onWorkerChanged);
  const jobs = new JobService(runtime);
  const tokens = new TokenService(runtime.tokens, runtime.clock);
  const schedules = new ScheduleService({ ...runtime, trigger: runtime.scheduleTrigger, jobs });
  const routes: RouteSpec[] = [
    {
      method: 'GET',
      path: '/v1/health',
      summary: 'Liveness check',
      responses: { 200: Health },
      handler: async () => json(200, { ok: true }),
    },
    {
      method: 'GET',
      path: '/openapi.json',
      summary: 'This document',
      responses: { 200: null },
      handler: async () => json(200, openApiDocument(routes)),
    },
    {
      method: 'POST',
      path: '/v1/workers',
      summary: 'Register a worker',
      scope: Scope.Admin,
      body: CreateWorkerRequest,
      responses: { 201: Worker },
      handler: async (e) => json(201, await workers.create(jsonBody(e))),
    },
    {
      method: 'GET',
      path: '/v1/workers',
      summary: 'List workers',
      scope: Scope.Admin,
      responses: { 200: WorkerList },
      handler: async () => json(200, { workers: await workers.list() }),
    },
    {
      method: 'GET',
      path: '/v1/workers/{name}',
      summary: 'Show a worker',
      scope: Scope.Admin,
      responses: { 200: Worker },
      handler: async (e) => json(200, await workers.get(pathParam(e, 'name'))),
    },
    {
      method: 'PUT',
      path: '/v1/workers/{name}',
      summary: "Replace a worker's settings",
      scope: Scope.Admin,
      body: UpdateWorkerRequest,
      responses: { 200: Worker },
      handler: async (e) => json(200, await workers.update(pathParam(e, 'name'), jsonBody(e))),
    },
    {
      method: 'DELETE',
      path: '/v1/workers/{name}',
      summary: 'Delete a worker (its jobs stay readable)',
      scope: Scope.Admin,
      responses: { 204: null },
      handler: async (e) => {
        await workers.delete(pathParam(e, 'name'));
        return noContent();
      },
    },
    {
      method: 'POST',
      path: '/v1/jobs',
      summary: 'Queue a job',
      scope: Scope.Jobs,
      body: CreateJobRequest,
      headers: [
        {
          name: 'Idempotency-Key',
          description: 'Same key and body return the same job (200); same key with another body is a 409',
        },
      ],
      responses: { 202: Job, 200: Job },
      handler: async (e) => {
        const key = header(e, 'idempotency-key');
        const { job, created } = await jobs.submit(
          jsonBody(e),
          key === undefined ? {} : { idempotencyKey: key },
        );
        return json(created ? 202 : 200, job, { location: `/v1/jobs/${job.id}` });
      },
    },
    {
      method: 'GET',
      path: '/v1/jobs',
      summary: 'List jobs, newest first',
      scope: Scope.Jobs,
      query: ListJobsQuery,
      responses: { 200: JobList },
      handler: async (e) => json(200, await jobs.list(e.queryStringParameters ?? {})),
    },
    {
      method: 'GET',
      path: '/v1/jobs/{id}',
      summary: 'Show a job',
      scope: Scope.Jobs,
      responses: { 200: Job },
      handler: async (e) => json(200, await jobs.get(pathParam(e, 'id'))),
    },
    {
      method: 'GET',
      path: '/v1/jobs/{id}/logs',
      summary: "Read a job's output, in order; pass nextCursor back to follow",
      scope: Scope.Jobs,
      query: LogsQuery,
      responses: { 200: LogsPage },
      handler: async (e) => json(200, await jobs.logs(pathParam(e, 'id'), e.queryStringParameters ?? {})),
    },
    {
      method: 'POST',
      path: '/v1/jobs/{id}/cancel',
      summary: 'Cancel a job: a queued one never starts, a running one is stopped',
      scope: Scope.Jobs,
      responses: { 202: Job },
      handler: async (e) => json(202, await jobs.cancel(pathParam(e, 'id'))),
    },
    {
      method: 'POST',
      path: '/v1/schedules',
      summary: 'Create a recurring schedule; each run queues a normal job',
      scope: Scope.Jobs,
      body: CreateScheduleRequest,
      responses: { 201: Schedule },
      handler: async (e) => json(201, await schedules.create(jsonBody(e))),
    },
    {
      method: 'GET',
      path: '/v1/schedules',
      summary: 'List schedules',
      scope: Scope.Jobs,
      responses: { 200: ScheduleList },
      handler: async () => json(200, { schedules: await schedules.list() }),
    },
    {
      method: 'GET',
      path: '/v1/schedules/{name}',
      summary: 'Show a schedule',
      scope: Scope.Jobs,
      responses: { 200: Schedule },
      handler: async (e) => json(200, await schedules.get(pathParam(e, 'name'))),
    },
    {
      method: 'POST',
      path: '/v1/schedules/{name}/pause',
      summary: 'Pause a schedule: it fires no more until resumed',
      scope: Scope.Jobs,
      responses: { 200: Schedule },
      handler: async (e) => json(200, await schedules.setPaused(pathParam(e, 'name'), true)),
    },
    {
      method: 'POST',
      path: '/v1/schedules/{name}/resume',
      summary: 'Resume a paused schedule',
      scope: Scope.Jobs,
      responses: { 200: Schedule },
      handler: async (e) => json(200, await schedules.setPaused(pathParam(e, 'name'), false)),
    },
    {
      method: 'DELETE',
      path: '/v1/schedules/{name}',
      summary: 'Delete a schedule (the jobs it queued stay)',
      scope: Scope.Jobs,
      responses: { 204: null },
      handler: async (e) => {
        await schedules.delete(pathParam(e, 'name'));
        return noContent();
      },
    },
    {
      method: 'POST',
      path: '/v1/tokens',
      summary: 'Make an API token (shown once)',
      scope: Scope.Admin,
      body: CreateTokenRequest,
      responses: { 201: CreatedToken },
      handler: async (e) => json(201, await tokens.create(jsonBody(e))),
    },
    {
      method: 'GET',
      path: '/v1/tokens',
      summary: 'List API tokens (never the tokens themselves)',
      scope: Scope.Admin,
      responses: { 200: TokenList },
      handler: async () => json(200, { tokens: await tokens.list() }),
    },
    {
      method: 'DELETE',
      path: '/v1/tokens/{id}',
      summary: 'Revoke an API token',
      scope: Scope.Admin,
      responses: { 204: null },
      handler: async (e) => {
        await tokens.revoke(pathParam(e, 'id'));
        return noContent();
      },
    },
  ];
  return routes.map((r) => ({ ...r, handler: guarded(r) }));
}

/** Checks the caller's scopes (set by the authorizer) before the route runs. `admin` may do anything. */
function guarded(route: RouteSpec): RouteSpec['handler'] {
  if (!route.scope) return route.handler;
  const needed = route.scope;
  return async (event) => {
    const scopes = event.requestContext?.authorizer?.lambda?.scopes;
    if (scopes === undefined) throw new UnauthorizedError('missing or invalid bearer token');
    const granted = scopes.split(' ');
    if (!granted.includes(Scope.Admin) && !granted.includes(needed))
      throw new ForbiddenError(`this token lacks the "${needed}" scope`);
    return route.handler(event);
  };
}
