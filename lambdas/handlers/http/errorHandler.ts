import type { MiddlewareObj } from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { toErrorBody, RunlaterError } from '../../core/errors.ts';
import { json } from './responses.ts';
import type { ApiEvent, ApiResult } from './types.ts';

const CODES_BY_STATUS: Record<number, string> = {
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
};

/**
 * Turns every error into the API's error shape. Our own errors say what went wrong; errors from
 * middy (no route) keep their status; anything else is a 500 without internals, logged in full.
 */
export function errorHandler(logger: Logger): MiddlewareObj<ApiEvent, ApiResult> {
  return {
    onError: async (request) => {
      const err = request.error;
      const httpStatus = (err as { statusCode?: number } | null)?.statusCode;
      if (!(err instanceof RunlaterError) && httpStatus && httpStatus < 500) {
        request.response = json(httpStatus, {
          error: {
            code: CODES_BY_STATUS[httpStatus] ?? 'bad_request',
            message: noRouteMessage(request.event, err),
          },
        });
        return;
      }
      const { status, body } = toErrorBody(err);
      if (status >= 500) logger.error('request failed', { error: err as Error, path: request.event.rawPath });
      request.response = json(status, body);
    },
  };
}

function noRouteMessage(event: ApiEvent, err: unknown): string {
  if ((err as { statusCode?: number }).statusCode === 404)
    return `no route ${event.requestContext?.http?.method ?? ''} ${event.rawPath ?? ''}`.trim();
  return (err as Error).message;
}
