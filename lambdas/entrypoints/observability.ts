import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';

/** The logger and tracer of one function: the handler logs with the first, the SDK clients are traced by the second. */
export interface Observability {
  logger: Logger;
  tracer: Tracer;
  /** Wraps an AWS SDK client so each of its calls is a subsegment of the invocation's trace. */
  traceClient: <T>(client: T) => T;
}

export function observability(serviceName: string): Observability {
  const tracer = new Tracer({ serviceName });
  return {
    logger: new Logger({ serviceName }),
    tracer,
    traceClient: (client) => tracer.captureAWSv3Client(client as never) as typeof client,
  };
}

/**
 * Each invocation with the Lambda context on every log line (request id, function name and
 * version, cold start) and the cold start and service annotated on its X-Ray trace.
 */
export function instrumented<E, R>(
  { logger, tracer }: Observability,
  handler: (event: E, context: Context) => Promise<R>,
): (event: E, context: Context) => Promise<R> {
  return async (event, context) => {
    logger.addContext(context);
    tracer.annotateColdStart();
    tracer.addServiceNameAnnotation();
    return handler(event, context);
  };
}
