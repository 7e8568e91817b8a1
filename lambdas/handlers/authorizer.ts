import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';
import { hashToken, type TokenStore } from '../core/tokens.ts';
import type { AuthContext } from './http/types.ts';

export type AuthorizerResult = APIGatewaySimpleAuthorizerWithContextResult<AuthContext>;

const DENY: AuthorizerResult = { isAuthorized: false, context: { scopes: '', tokenName: '' } };

/**
 * HTTP API Lambda authorizer (simple responses): `Authorization: Bearer <token>` is looked up by
 * its sha256, so tokens are never stored. API Gateway caches the answer per header value.
 */
export function makeAuthorizerHandler(tokens: TokenStore) {
  return async (event: APIGatewayRequestAuthorizerEventV2): Promise<AuthorizerResult> => {
    const header = Object.entries(event.headers ?? {}).find(
      ([k]) => k.toLowerCase() === 'authorization',
    )?.[1];
    const match = /^Bearer\s+(\S+)$/i.exec(header ?? event.identitySource?.[0] ?? '');
    if (!match) return DENY;
    const record = await tokens.get(hashToken(match[1]!));
    if (!record) return DENY;
    return { isAuthorized: true, context: { scopes: record.scopes.join(' '), tokenName: record.name } };
  };
}
