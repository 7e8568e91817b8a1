import {
  GetLogEventsCommand,
  type CloudWatchLogsClient,
  type OutputLogEvent,
} from '@aws-sdk/client-cloudwatch-logs';
import type { LogQuery, LogReader } from '../../core/ports.ts';
import type { LogLine } from '../../core/schemas.ts';
import { JOB_STREAM_PREFIX } from '../ecs/EcsTaskDefinitions.ts';
import { JOB_CONTAINER_NAME } from '../ecs/taskStateChange.ts';

/** GetLogEvents can answer empty pages that still carry a new token; this many in a row are read through. */
const MAX_EMPTY_PAGES = 10;

/** The stream a task's job output lands in: FireLens tags records `<container>-firelens-<task id>`. */
export function jobStreamName(taskArn: string): string {
  const taskId = taskArn.split('/').pop()!;
  return `${JOB_STREAM_PREFIX}${JOB_CONTAINER_NAME}-firelens-${taskId}`;
}

/**
 * Job output from CloudWatch Logs with GetLogEvents on the stream named from the task id (never
 * FilterLogEvents: 5 requests a second for the whole account). The cursor is GetLogEvents' forward
 * token, so a follower continues exactly where it stopped.
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
      const moved = next !== undefined && next !== token;
      if (next) token = next;
      if ((page.events ?? []).length > 0 || !moved) break;
      empty++;
    }
    return { lines, nextCursor: token ?? '' };
  }
}

/** FireLens writes each line as JSON: `{"log": "...", "source": "stdout" | "stderr", ...}`. */
export function toLogLine(event: OutputLogEvent): LogLine {
  const timestamp = new Date(event.timestamp ?? Date.now()).toISOString();
  const message = event.message ?? '';
  try {
    const record = JSON.parse(message) as { log?: unknown; source?: unknown };
    if (typeof record.log === 'string') {
      const stream = record.source === 'stderr' ? 'stderr' : 'stdout';
      return { stream, timestamp, text: record.log.replace(/\n$/, '') };
    }
  } catch {
    // not a FireLens record: keep the message as it is
  }
  return { stream: 'stdout', timestamp, text: message };
}
