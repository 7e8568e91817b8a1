import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsMessageVisibility } from '../adapters/sqs/SqsMessageVisibility.ts';
import { makeDispatcherHandler } from '../handlers/dispatcher.ts';
import { LaunchPacer, launchQuotaFromEnv } from '../pacing/LaunchPacer.ts';
import { PacedTaskLauncher } from '../pacing/PacedTaskLauncher.ts';
import { withRetryBackoff } from '../pacing/retryBackoff.ts';
import { instrumented, observability } from './observability.ts';
import { dispatcherRuntime } from './dispatcherRuntime.ts';

const o = observability('runlater-dispatcher');
const runtime = dispatcherRuntime(process.env, { traceClient: o.traceClient });
// RunTask within this instance's share of the account's launch rate; a record that still cannot
// start comes back within seconds (ChangeMessageVisibility), not after the visibility timeout.
const launcher = new PacedTaskLauncher(runtime.launcher, new LaunchPacer(launchQuotaFromEnv(process.env)));

export const handler = instrumented(
  o,
  withRetryBackoff(
    makeDispatcherHandler({ ...runtime, launcher }, o.logger),
    new SqsMessageVisibility(
      o.traceClient(new SQSClient({ region: process.env.AWS_REGION })),
      process.env.DISPATCH_QUEUE_URL!,
    ),
  ),
);
