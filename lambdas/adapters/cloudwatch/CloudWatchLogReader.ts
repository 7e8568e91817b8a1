import {
  DeleteLogStreamCommand,
  GetLogEventsCommand,
  type CloudWatchLogsClient,
  type OutputLogEvent,
} from '@aws-sdk/client-cloudwatch-logs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ThrottledError, ValidationError } from '../../core/errors.ts';
import type { LogQuery, LogReader } from '../../core/ports.ts';
import type { LogLine } from '../../core/schemas.ts';
import { LOG_STREAM_PREFIX } from '../ecs/EcsTaskDefinitions.ts';
import { JOB_CONTAINER_NAME } from '../ecs/taskStateChange.ts';

/** GetLogEvents can answer empty pages that still carry a new token; this many in a row are read through. */
const MAX_EMPTY_PAGES = 10;

/**
 * GetLogEvents allows 25 requests a second per account: a throttled read is tried again after
 * these waits (ms, with jitter), then answered 429 with Retry-After. Well within API Gateway's 30 s.
 */
export const THROTTLE_BACKOFF_MS = [200, 400, 800, 1600];
export const RETRY_AFTER_SECONDS = 2;

/**
 * The shim's mark on each line (RUNLATER_LOG_TAGS): awslogs gives a container one stream for
 * both of its outputs, so the shim writes `o <line>` for stdout and `e <line>` for stderr.
 */
export const LINE_TAGS = { 'o ': 'stdout', 'e ': 'stderr' } as const;

/** awslogs names a container's stream `<prefix>/<container>/<task id>`: known from the task alone. */
export function jobStreamName(taskArn: string): string {
  const taskId = taskArn.split('/').pop()!;
  return `${LOG_STREAM_PREFIX}/${JOB_CONTAINER_NAME}/${taskId}`;
}

/**
 * Job output from CloudWatch Logs with GetLogEvents on the stream named from the task id (never
 * FilterLogEvents: 5 requests a second for the whole account). The cursor is GetLogEvents' forward
 * token, so a follower continues exactly where it stopped.
 *
 * @example
 * const reader = new CloudWatchLogReader(new CloudWatchLogsClient({}), 'runlater-jobs');
 * const { lines, nextCursor } = await reader.read({ jobId, attempt, taskId, stream: 'all', limit: 100 });
 */
export class CloudWatchLogReader implements LogReader {
  constructor(
    private readonly logs: CloudWatchLogsClient,
    private readonly logGroupName: string,
    private readonly wait: (ms: number) => Promise<unknown> = sleep,
  ) {}

  async read(query: LogQuery): Promise<{ lines: LogLine[]; nextCursor: string }> {
    let token = query.cursor || undefined;
    const lines: LogLine[] = [];
    for (let empty = 0; empty < MAX_EMPTY_PAGES;) {
      let page;
      try {
        page = await this.page(
          new GetLogEventsCommand({
            logGroupName: this.logGroupName,
            logStreamName: jobStreamName(query.taskId),
            startFromHead: true,
            limit: Math.min(query.limit, 10_000),
            ...(token ? { nextToken: token } : {}),
          }),
        );
      } catch (err) {
        // The stream appears with the first line: until then there is nothing to read.
        if ((err as Error).name === 'ResourceNotFoundException') return { lines, nextCursor: token ?? '' };
        // The cursor is the user's input: a token CloudWatch does not take is theirs to fix.
        if ((err as Error).name === 'InvalidParameterException' && token === query.cursor && token)
          throw new ValidationError("cursor is not one this job's logs gave out", 'cursor', { cause: err });
        throw err;
      }
      for (const event of page.events ?? []) {
        const line = toLogLine(event);
        if (query.stream === 'all' || line.stream === query.stream) lines.push(line);
      }
      const next = page.nextForwardToken;
      // The end of the stream, for now: the token comes back as it was sent.
      const moved = next !== undefined && next !== token;
      if (next) token = next;
      if ((page.events ?? []).length > 0 || !moved) break;
      empty++;
    }
    return { lines, nextCursor: token ?? '' };
  }

  /**
   * Deletes the job container's stream of the task (the init container's stream holds only the
   * shim's own lines and expires with the log group's retention).
   */
  async deleteOutput(task: { taskId: string }): Promise<void> {
    try {
      await this.logs.send(
        new DeleteLogStreamCommand({
          logGroupName: this.logGroupName,
          logStreamName: jobStreamName(task.taskId),
        }),
      );
    } catch (err) {
      // A task that wrote nothing has no stream.
      if ((err as Error).name !== 'ResourceNotFoundException') throw err;
    }
  }

  private async page(command: GetLogEventsCommand) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.logs.send(command);
      } catch (err) {
        if (!isThrottling(err)) throw err;
        const backoff = THROTTLE_BACKOFF_MS[attempt];
        if (backoff === undefined) {
          const throttled = new ThrottledError('CloudWatch Logs is throttling reads: try again shortly', {
            cause: err,
          });
          throttled.retryAfterSeconds = RETRY_AFTER_SECONDS;
          throw throttled;
        }
        await this.wait(backoff / 2 + Math.random() * (backoff / 2));
      }
    }
  }
}

function isThrottling(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return (
    /Throttl|TooManyRequests|RequestLimitExceeded/.test(e.name ?? '') || e.$metadata?.httpStatusCode === 429
  );
}

/**
 * One awslogs event as a LogLine. A line without a tag comes from a shim that does not tag (or
 * from the shim itself before the program ran): it is kept whole, as stdout.
 */
export function toLogLine(event: OutputLogEvent): LogLine {
  const timestamp = new Date(event.timestamp ?? Date.now()).toISOString();
  const message = event.message ?? '';
  const tag = message.slice(0, 2);
  if (Object.hasOwn(LINE_TAGS, tag))
    return { stream: LINE_TAGS[tag as keyof typeof LINE_TAGS], timestamp, text: message.slice(2) };
  return { stream: 'stdout', timestamp, text: message };
}
