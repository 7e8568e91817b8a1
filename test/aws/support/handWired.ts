import type { Context } from 'aws-lambda';
import type { ApiEvent } from '../../../lambdas/handlers/http/types.ts';
import type { makeApiHandler } from '../../../lambdas/handlers/api.ts';
import type { EmbeddedDynamo } from '../../../local/embeddedDynamo.ts';

const ARN = 'arn:aws:%s:eu-west-1:123456789012';
const arn = (service: string, rest: string) => `${ARN.replace('%s', service)}:${rest}`;
export const DISPATCH_QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/dispatch';
export const DELIVERY_QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/deliveries';

/**
 * Every variable any function reads, written by hand, with dynalite's tables: for the tests that
 * run a few handlers on dynalite without synthesizing the stack (the flow harness takes each
 * function's own from the template instead). Also put on process.env, where the SDK reads them.
 */
export function handWiredEnv(dynamo: EmbeddedDynamo): Record<string, string> {
  const env = {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    WORKERS_TABLE: dynamo.tableNames.workers,
    JOBS_TABLE: dynamo.tableNames.jobs,
    TOKENS_TABLE: dynamo.tableNames.tokens,
    SCHEDULES_TABLE: dynamo.tableNames.schedules,
    DISPATCH_QUEUE_URL: DISPATCH_QUEUE,
    DISPATCH_QUEUE_ARN: arn('sqs', 'dispatch'),
    STDIN_BUCKET: 'stdin-bucket',
    CLUSTER_ARN: arn('ecs', 'cluster/runlater'),
    SUBNETS: 'subnet-a',
    SECURITY_GROUPS: 'sg-1',
    ASSIGN_PUBLIC_IP: 'true',
    EXECUTION_ROLE_ARN: 'arn:aws:iam::123456789012:role/exec',
    SHIM_IMAGE: 'shim:latest',
    TASK_FAMILY_PREFIX: 'RunLater_',
    JOB_LOG_GROUP: 'jobs',
    SCHEDULER_GROUP: 'runlater',
    SCHEDULER_ROLE_ARN: 'arn:aws:iam::123456789012:role/scheduler',
    SCHEDULE_FIRE_ARN: arn('lambda', 'function:fire'),
    JOB_RETENTION_DAYS: '30',
    DELIVERY_QUEUE_URL: DELIVERY_QUEUE,
    EVENT_BUS_NAME: 'default',
    POWERTOOLS_METRICS_DISABLED: 'true',
  };
  Object.assign(process.env, env);
  return { ...(process.env as Record<string, string>), ...env };
}

/** An API Gateway (HTTP API, payload 2.0) request, as the API function receives it. */
export function apiEvent(token: string, method: string, target: string, body?: unknown): ApiEvent {
  const [path, query = ''] = target.split('?') as [string, string?];
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: query,
    ...(query ? { queryStringParameters: Object.fromEntries(new URLSearchParams(query)) } : {}),
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    requestContext: { http: { method, path }, requestId: 'r' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    isBase64Encoded: false,
  } as unknown as ApiEvent;
}

/** Calls the API handler as API Gateway would; the answer's status and parsed body. */
export function apiCaller(api: ReturnType<typeof makeApiHandler>, token: string) {
  return async (method: string, target: string, body?: unknown) => {
    const res = await api(apiEvent(token, method, target, body), {} as Context);
    return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined };
  };
}
