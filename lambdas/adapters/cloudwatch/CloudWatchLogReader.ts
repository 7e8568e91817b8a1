import {
  GetLogEventsCommand,
  type CloudWatchLogsClient,
  type OutputLogEvent,
} from '@aws-sdk/client-cloudwatch-logs';
import type { LogQuery, LogReader } from '../../core/ports.ts';
import type { LogLine } from '../../core/schemas.ts';
import { LOG_STREAM_PREFIX } from '../ecs/EcsTaskDefinitions.ts';
import { JOB_CONTAINER_NAME } from '../ecs/taskStateChange.ts';

/** GetLogEvents can answer empty pages that still carry a new token; this many in a row are read through. */
const MAX_EMPTY_PAGES = 10;

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
  ) {}

  async read(query: LogQuery): Promise<{ lines: LogLine[]; nextCursor: string }> {
    let token = query.cursor || undefined;
    const lines: LogLine[] = [];
    for (let empty = 0; empty < MAX_EMPTY_PAGES;) {
      let page;
      try {
        page = await this.logs.send(
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
