import type { z } from 'zod';
import {
  ForbiddenError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../../core/errors.ts';
import { parseInput } from '../../core/schemas.ts';
import { Scope } from '../../core/tokens.ts';
import { jsonBody } from './responses.ts';
import type { ApiEvent, ApiResult } from './types.ts';

/** What a route's handler gets: its inputs, already validated and typed by the route's schemas. */
export interface RouteInput<P, Q, B, H> {
  params: P;
  query: Q;
  body: B;
  headers: H;
  /** Milliseconds left before the function is cut off (Lambda's own clock; locally generous). */
  remainingMs: number;
}

export type Tag = 'Service' | 'Workers' | 'Jobs' | 'Schedules' | 'Tokens' | 'Secrets';

/** One status a route answers with on success, and its body (none for 204 and non-JSON answers). */
export interface SuccessResponse {
  description: string;
  schema?: z.ZodType;
  headers?: Record<string, { description: string; schema: z.ZodType }>;
}

/**
 * One route, described once: the router serves it, the schemas validate its input before the
 * handler runs, and the OpenAPI document is generated from the same object, so the document lists
 * exactly what is served and accepted.
 */
export interface RouteSpec<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
  H extends z.ZodType = z.ZodType,
> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  operationId: string;
  tag: Tag;
  summary: string;
  /** Who may call it; undefined for public routes. */
  scope?: Scope;
  params?: P;
  query?: Q;
  /** A JSON body; routes without one ignore any body sent. */
  body?: B;
  /** The body may be left out (no body at all reads as `{}`): for bodies of optional overrides. */
  bodyOptional?: true;
  /** Header schema: lower-case names (Node and API Gateway both hand them over lower-cased). */
  headers?: H;
  responses: Record<number, SuccessResponse>;
  /**
   * Errors the route itself can answer besides bad input (400) and the token checks (401, 403);
   * 503 where it calls the job runner (Docker, ECS) during the request.
   */
  errors?: (404 | 409 | 410 | 413 | 503)[];
  handler: (input: RouteInput<z.output<P>, z.output<Q>, z.output<B>, z.output<H>>) => Promise<ApiResult>;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- the table holds routes of different input types */
export type Route = RouteSpec<any, any, any, any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

/** Declares a route; the generics infer the handler's input types from the schemas. */
export function route<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
  H extends z.ZodType = z.ZodType,
>(spec: RouteSpec<P, Q, B, H>): Route {
  return spec as Route;
}

/**
 * The Lambda-level handler of a route: checks the caller's scopes (set by the authenticator;
 * `admin` may do anything), then validates every input with the route's schemas, so nothing the
 * schemas refuse reaches a service — and a refused request has changed nothing.
 */
export function serve(r: Route): (event: ApiEvent, context?: LambdaClock) => Promise<ApiResult> {
  return async (event, context) => {
    if (r.scope) {
      const scopes = event.requestContext?.authorizer?.lambda?.scopes;
      if (scopes === undefined) throw new UnauthorizedError('missing or invalid bearer token');
      const granted = scopes.split(' ');
      if (!granted.includes(Scope.Admin) && !granted.includes(r.scope))
        throw new ForbiddenError(`this token lacks the "${r.scope}" scope`);
    }
    const params = r.params ? parseInput(r.params, pathParams(event), 'path') : {};
    const query = r.query ? parseInput(r.query, event.queryStringParameters ?? {}, 'query') : {};
    const headers = r.headers ? parseInput(r.headers, lowerCaseHeaders(event), 'header') : {};
    const empty = r.bodyOptional && (event.body === undefined || event.body === null || event.body === '');
    const body = r.body ? parseInput(r.body, empty ? {} : jsonRequestBody(event)) : undefined;
    const remainingMs = context?.getRemainingTimeInMillis?.() ?? Number.POSITIVE_INFINITY;
    return r.handler({ params, query, body, headers, remainingMs });
  };
}

/** What a route reads from the Lambda context: how long the invocation may still run. */
interface LambdaClock {
  getRemainingTimeInMillis?(): number;
}

/** The path parameters, percent-decoded; a malformed escape (`%ZZ`) is bad input, not a crash. */
function pathParams(event: ApiEvent): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(event.pathParameters ?? {})) {
    try {
      out[name] = decodeURIComponent(raw ?? '');
    } catch {
      throw new ValidationError(`path: ${name} has a malformed percent escape`, name);
    }
  }
  return out;
}

function lowerCaseHeaders(event: ApiEvent): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.headers ?? {})) if (v !== undefined) out[k.toLowerCase()] = v;
  return out;
}

/** JSON media types: application/json and the structured-syntax `+json` types, with any parameters. */
const JSON_MEDIA_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;.*)?$/i;

/** The body, which must be declared as JSON: a form or text body is refused, never guessed at. */
function jsonRequestBody(event: ApiEvent): unknown {
  const type = lowerCaseHeaders(event)['content-type'];
  if (type === undefined)
    throw new UnsupportedMediaTypeError('send the body with Content-Type: application/json');
  if (!JSON_MEDIA_TYPE.test(type))
    throw new UnsupportedMediaTypeError(
      `Content-Type ${JSON.stringify(type.slice(0, 100))} is not accepted; send application/json`,
    );
  return jsonBody(event);
}
