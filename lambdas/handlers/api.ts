import middy from '@middy/core';
import httpRouterHandler from '@middy/http-router';
import { Logger } from '@aws-lambda-powertools/logger';
import { authenticate } from './http/authenticate.ts';
import { CachingTokenStore } from './http/CachingTokenStore.ts';
import { errorHandler } from './http/errorHandler.ts';
import { serve } from './http/route.ts';
import { withJobObservers } from './jobObservers.ts';
import type { ApiEvent, ApiResult } from './http/types.ts';
import { webConsole } from './http/webConsole.ts';
import { DOCS_PATHS, docsRoutes } from './docsPage.ts';
import { buildRoutes, PUBLIC_PATHS } from './routes.ts';
import type { Runtime } from './runtime.ts';

/**
 * The HTTP API as one Lambda handler (API Gateway HTTP API, payload format 2.0): errors are mapped
 * to the API's error shape, the web console's files are served, the bearer token is checked, then the
 * route runs (and checks scopes).
 */
export function makeApiHandler(runtime: Runtime, logger = new Logger({ serviceName: 'runlater-api' })) {
  const tokens = new CachingTokenStore(runtime.tokens);
  const routes = buildRoutes(withJobObservers({ ...runtime, tokens })).map((r) => ({
    method: r.method,
    path: r.path,
    handler: serve(r),
  }));
  // The reference page is not part of the API it documents: served here, not in its route table.
  routes.push(...docsRoutes());
  return middy<ApiEvent, ApiResult>()
    .use(errorHandler(logger))
    .use(webConsole())
    .use(authenticate(tokens, [...PUBLIC_PATHS, ...DOCS_PATHS]))
    .handler(httpRouterHandler(routes));
}
