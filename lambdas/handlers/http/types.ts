import type {
  APIGatewayProxyEventV2WithLambdaAuthorizer,
  APIGatewayProxyStructuredResultV2,
} from 'aws-lambda';

/** What the authorizer hands the API (API Gateway passes it as `requestContext.authorizer.lambda`). */
export interface AuthContext {
  /** Space-separated scopes of the caller's token. */
  scopes: string;
  tokenName: string;
}

export type ApiEvent = APIGatewayProxyEventV2WithLambdaAuthorizer<AuthContext>;
export type ApiResult = APIGatewayProxyStructuredResultV2;
