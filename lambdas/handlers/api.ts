import middy from '@middy/core';
import httpRouterHandler from '@middy/http-router';
import { Logger } from '@aws-lambda-powertools/logger';
import { errorHandler } from './http/errorHandler.ts';
import type { ApiEvent, ApiResult } from './http/types.ts';
import { buildRoutes } from './routes.ts';
import type { Runtime } from './runtime.ts';

/**
 * The HTTP API as one Lambda handler (API Gateway HTTP API, payload format 2.0). The authorizer
 * runs before it and hands over the token's scopes; routes check them.
 */
export function makeApiHandler(runtime: Runtime, logger = new Logger({ serviceName: 'runlater-api' })) {
  const routes = buildRoutes(runtime).map(({ method, path, handler }) => ({ method, path, handler }));
  return middy<ApiEvent, ApiResult>().use(errorHandler(logger)).handler(httpRouterHandler(routes));
}
