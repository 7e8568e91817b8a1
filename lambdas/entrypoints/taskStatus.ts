import { makeTaskStatusHandler } from '../handlers/taskStatus.ts';
import { instrumented, observability } from './observability.ts';
import { taskStatusRuntime } from './taskStatusRuntime.ts';

const o = observability('runlater-taskStatus');
export const handler = instrumented(
  o,
  makeTaskStatusHandler(taskStatusRuntime(process.env, { traceClient: o.traceClient }), o.logger),
);
