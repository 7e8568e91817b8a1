import { makeJobEventsHandler } from '../handlers/jobEvents.ts';
import { instrumented, observability } from './observability.ts';
import { jobEventsRuntime } from './jobEventsRuntime.ts';

const o = observability('runlater-events');
export const handler = instrumented(
  o,
  makeJobEventsHandler(jobEventsRuntime(process.env, { traceClient: o.traceClient }), o.logger),
);
