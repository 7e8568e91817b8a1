import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { CloudWatchLogReader } from '../adapters/cloudwatch/CloudWatchLogReader.ts';
import type { LogReader } from '../core/ports.ts';
import { lazyPort } from './lazy.ts';
import { region, type Trace } from './runtimeEnv.ts';

/** Job output in CloudWatch Logs: the client is made with the first read (the logs route, a pipeline's stdin). */
export function logReader(logGroup: string, source: NodeJS.ProcessEnv, t: Trace): LogReader {
  return lazyPort<LogReader>(
    ['read', 'deleteOutput'],
    async () => new CloudWatchLogReader(t(new CloudWatchLogsClient(region(source))), logGroup),
  );
}
