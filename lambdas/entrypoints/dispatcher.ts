import { makeDispatcherHandler } from '../handlers/dispatcher.ts';
import { instrumented, observability } from './observability.ts';
import { dispatcherRuntime } from './runtimes.ts';

const o = observability('runlater-dispatcher');
export const handler = instrumented(
  o,
  makeDispatcherHandler(dispatcherRuntime(process.env, { traceClient: o.traceClient }), o.logger),
);
