import type { MiddlewareObj } from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { toErrorBody, RunlaterError, ThrottledError } from '../../core/errors.ts';
import { json } from './responses.ts';
import type { ApiEvent, ApiResult } from './types.ts';

const CODES_BY_STATUS: Record<number, string> = {
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
};

/**
 * Turns every error into the API's error shape. Our own errors say what went wrong; middy's router
 * errors (no route) keep their status; an error some backend answered with an HTTP status (Docker's
 * API, say) is logged and answered 503, since the caller's request was fine and a retry may pass;
 * anything else is a 500 without internals, logged in full.
 */
export function errorHandler(logger: Logger): MiddlewareObj<ApiEvent, ApiResult> {
  return {
    onError: async (request) => {
      const err = request.error;
      const httpStatus = (err as { statusCode?: unknown } | null)?.statusCode;
      if (!(err instanceof RunlaterError) && typeof httpStatus === 'number') {
        if (isRouterError(err) && httpStatus < 500) {
          request.response = json(httpStatus, {
            error: {
              code: CODES_BY_STATUS[httpStatus] ?? 'bad_request',
              message: noRouteMessage(request.event, err),
            },
          });
          return;
        }
        logger.error('a backend refused the request', { error: err as Error, path: request.event.rawPath });
        request.response = json(
          503,
          {
            error: {
              code: 'backend_unavailable',
              message: `a service behind the API answered HTTP ${httpStatus}; try again shortly`,
            },
          },
          { 'retry-after': '1' },
        );
        return;
      }
      const { status, body } = toErrorBody(err);
      if (status >= 500) logger.error('request failed', { error: err as Error, path: request.event.rawPath });
      request.response = json(status, body);
      if (err instanceof ThrottledError && err.retryAfterSeconds)
        request.response.headers = {
          ...request.response.headers,
          'retry-after': String(err.retryAfterSeconds),
        };
    },
  };
}

/** middy's own HTTP errors (from @middy/util's createError) carry `expose`; backend errors do not. */
function isRouterError(err: unknown): boolean {
  return typeof (err as { expose?: unknown }).expose === 'boolean';
}

function noRouteMessage(event: ApiEvent, err: unknown): string {
  if ((err as { statusCode?: number }).statusCode === 404)
    return `no route ${event.requestContext?.http?.method ?? ''} ${event.rawPath ?? ''}`.trim();
  return (err as Error).message;
}
