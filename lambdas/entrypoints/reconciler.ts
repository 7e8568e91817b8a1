import { makeReconcilerHandler } from '../handlers/reconciler.ts';
import { instrumented, observability } from './observability.ts';
import { reconcilerRuntime } from './reconcilerRuntime.ts';

const o = observability('runlater-reconciler');
export const handler = instrumented(
  o,
  makeReconcilerHandler(reconcilerRuntime(process.env, { traceClient: o.traceClient }), {}, o.logger),
);
