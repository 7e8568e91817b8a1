import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The part of the SDK's HTTP request a DynamoDB call uses (a JSON POST). */
interface SdkRequest {
  method: string;
  path: string;
  query?: Record<string, string | (string | null)[] | null>;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * An SDK request handler that hands each request to an HTTP server's request listener in this
 * process, with no socket in between: the client still serializes and signs the real DynamoDB
 * request, and the server (dynalite) still parses, validates and answers it as it would over
 * TCP, but neither side pays for loopback TCP and HTTP parsing (a third of each call's cost on
 * the dev server, where every API request makes two or three calls).
 */
export class InProcessHttpHandler {
  readonly metadata = { handlerProtocol: 'http/1.1' };
  private closed = false;

  constructor(private readonly listener: Listener) {}

  /**
   * Refuses requests from now on, as a server that stopped listening would: once its database is
   * closed, dynalite would throw a request's error out of its own callbacks, where nothing catches it.
   */
  close(): void {
    this.closed = true;
  }

  handle(request: SdkRequest): Promise<{ response: object }> {
    if (this.closed)
      return Promise.reject(
        Object.assign(new Error('connect ECONNREFUSED: the embedded DynamoDB is closed'), {
          code: 'ECONNREFUSED',
        }),
      );
    return new Promise((resolve, reject) => {
      const req = Object.assign(new EventEmitter(), {
        method: request.method,
        url: request.path + queryString(request.query),
        headers: Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v])),
      });
      const headers: Record<string, string> = {};
      const res = {
        statusCode: 200,
        setHeader: (name: string, value: string | number) => {
          headers[name.toLowerCase()] = String(value);
        },
        end: (body?: string | Buffer) => {
          resolve({
            response: {
              statusCode: res.statusCode,
              reason: '',
              headers,
              body: body === undefined ? new Uint8Array() : Buffer.from(body),
            },
          });
        },
      };
      try {
        this.listener(req as unknown as IncomingMessage, res as unknown as ServerResponse);
      } catch (err) {
        reject(err as Error);
        return;
      }
      // As a socket would: the body arrives after the listener has had its turn to subscribe.
      queueMicrotask(() => {
        const body = request.body;
        if (body !== undefined && body.length > 0)
          req.emit(
            'data',
            // The SDK's body may be a Uint8Array that also acts as a string: take its bytes as they are.
            typeof body === 'string'
              ? Buffer.from(body)
              : Buffer.from(body.buffer, body.byteOffset, body.byteLength),
          );
        req.emit('end');
      });
    });
  }

  updateHttpClientConfig(): void {}

  httpHandlerConfigs(): Record<string, never> {
    return {};
  }

  destroy(): void {}
}

function queryString(query: SdkRequest['query']): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {}))
    for (const one of Array.isArray(v) ? v : [v]) if (one !== null) params.append(k, one);
  const s = params.toString();
  return s ? `?${s}` : '';
}
