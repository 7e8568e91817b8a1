import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { ApiEvent } from '../lambdas/handlers/http/types.ts';

/**
 * Turns a Node HTTP request into the event API Gateway's HTTP API (payload format 2.0) would
 * hand the Lambda, so the API handler cannot tell the local server from AWS.
 */
export function toApiGatewayEvent(req: IncomingMessage, body: Buffer): ApiEvent {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
  // Repeated parameters are joined with commas, as API Gateway does. Own properties only, defined
  // rather than assigned: `?constructor=` or `?__proto__=` are data here, not the object's own
  // machinery.
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) {
    const value = Object.hasOwn(query, k) ? `${query[k]},${v}` : v;
    Object.defineProperty(query, k, { value, enumerable: true, writable: true, configurable: true });
  }
  const now = Date.now();
  const contentType = headers['content-type'] ?? '';
  const isText = body.length === 0 || /json|text|xml|urlencoded/i.test(contentType) || contentType === '';
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    ...(body.length ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0 && !isText,
  } as ApiEvent;
}
