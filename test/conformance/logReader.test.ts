import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CloudWatchLogsClient,
  GetLogEventsCommand,
  ResourceNotFoundException,
  type GetLogEventsCommandInput,
} from '@aws-sdk/client-cloudwatch-logs';
import Docker from 'dockerode';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchLogReader, jobStreamName } from '../../lambdas/adapters/cloudwatch/CloudWatchLogReader.ts';
import { DockerTaskLauncher } from '../../lambdas/adapters/docker/DockerTaskLauncher.ts';
import { FileStdinStore } from '../../lambdas/adapters/local/FileStdinStore.ts';
import { LocalLogReader } from '../../lambdas/adapters/local/LocalLogReader.ts';
import type { TaskUpdate } from '../../lambdas/core/ports.ts';
import { ensureTestImages } from '../support/images.ts';
import { waitFor } from '../support/waitFor.ts';
import { logReaderConformance, type WrittenLine } from './suites/logReaderSuite.ts';
import { attemptSpec } from './suites/taskLauncherSuite.ts';

/** A shell command that writes the lines, in order, each to its stream. */
function script(lines: WrittenLine[]): string {
  return lines.map((l) => `echo '${l.text}'${l.stream === 'stderr' ? ' >&2' : ''}`).join('; ');
}

// The local reader reads what the real Docker runner kept of a real container's output.
logReaderConformance('LocalLogReader, of a task the Docker runner ran', async () => {
  await ensureTestImages();
  const dataDir = await mkdtemp(join(tmpdir(), 'runlater-conformance-logs-'));
  const updates: TaskUpdate[] = [];
  const launcher = new DockerTaskLauncher({
    dataDir,
    stdinStore: new FileStdinStore(join(dataDir, 'stdin')),
    onTaskEvent: async (u) => void updates.push(u),
  });
  return {
    reader: new LocalLogReader({ dataDir }),
    taskThatWrote: async (lines) => {
      const spec = attemptSpec({ command: ['sh', '-c', script(lines)] });
      const { taskId } = await launcher.launch(spec);
      await waitFor(() => updates.find((u) => u.taskId === taskId && u.state === 'stopped'), {
        message: `the end of ${taskId}`,
      });
      return { jobId: spec.jobId, attempt: 1, taskId };
    },
    silentTask: () => ({ jobId: 'j', attempt: 1, taskId: 'runlater-never-started' }),
    close: async () => {
      await launcher.close();
      const docker = new Docker();
      const left = await docker.listContainers({
        all: true,
        filters: { label: [`runlater.dataDir=${dataDir}`] },
      });
      for (const c of left) await docker.getContainer(c.Id).remove({ force: true });
      await rm(dataDir, { recursive: true, force: true });
    },
  };
});

// CloudWatch Logs behind a mock that keeps GetLogEvents' paging rules: a forward token per
// position, the same token back at the end of the stream, no stream until its first line.
logReaderConformance('CloudWatchLogReader (CloudWatch Logs mocked)', async () => {
  const logs = mockClient(CloudWatchLogsClient);
  const streams = new Map<string, { timestamp: number; message: string }[]>();
  logs.on(GetLogEventsCommand).callsFake(async (input: GetLogEventsCommandInput) => {
    const events = streams.get(input.logStreamName!);
    if (!events)
      throw new ResourceNotFoundException({
        message: 'The specified log stream does not exist.',
        $metadata: {},
      });
    const from = input.nextToken ? Number(input.nextToken.slice(2)) : 0;
    const page = events.slice(from, from + (input.limit ?? 10_000));
    return { events: page, nextForwardToken: `f/${from + page.length}`, nextBackwardToken: `b/${from}` };
  });
  let n = 0;
  return {
    reader: new CloudWatchLogReader(
      new CloudWatchLogsClient({
        region: 'eu-west-1',
        credentials: { accessKeyId: 'A', secretAccessKey: 's' },
      }),
      'runlater-jobs',
    ),
    taskThatWrote: async (lines) => {
      const taskId = `arn:aws:ecs:eu-west-1:123456789012:task/runlater/${(++n).toString(16).padStart(32, '0')}`;
      // The tagging shim marks each line with its stream; awslogs gives both one stream.
      const t0 = Date.now();
      streams.set(
        jobStreamName(taskId),
        lines.map((l, i) => ({
          timestamp: t0 + i,
          message: `${l.stream === 'stdout' ? 'o' : 'e'} ${l.text}`,
        })),
      );
      return { jobId: 'j', attempt: 1, taskId };
    },
    silentTask: () => ({
      jobId: 'j',
      attempt: 1,
      taskId: 'arn:aws:ecs:eu-west-1:123456789012:task/runlater/none',
    }),
    close: async () => logs.restore(),
  };
});
