import type { MiddlewareObj } from '@middy/core';
import { hashToken, type TokenStore } from '../../core/tokens.ts';
import { json } from './responses.ts';
import type { ApiEvent, ApiResult } from './types.ts';

/**
 * The authorizer, as middleware in front of the routes: `Authorization: Bearer <token>` is looked
 * up by its sha256 (tokens are stored only as hashes) and the token's scopes are put where an API
 * Gateway authorizer would put them; the routes check them. It runs inside the API function, with
 * a short cache (CachingTokenStore), rather than as an API Gateway authorizer, because HTTP APIs
 * answer a refused token with 403 and the contract says 401.
 */
export function authenticate(
  tokens: TokenStore,
  publicPaths: readonly string[],
): MiddlewareObj<ApiEvent, ApiResult> {
  return {
    before: async (request) => {
      const event = request.event;
      if (publicPaths.includes(event.rawPath)) return undefined;
      const header = Object.entries(event.headers ?? {}).find(
        ([k]) => k.toLowerCase() === 'authorization',
      )?.[1];
      const token = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
      const record = token ? await tokens.get(hashToken(token)) : undefined;
      if (!record)
        return json(401, { error: { code: 'unauthorized', message: 'missing or invalid bearer token' } });
      event.requestContext.authorizer = {
        ...event.requestContext.authorizer,
        lambda: { scopes: record.scopes.join(' '), tokenName: record.name },
      };
      return undefined;
    },
  };
}
