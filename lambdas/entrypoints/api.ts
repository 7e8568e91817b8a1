import { makeApiHandler } from '../handlers/api.ts';
import { instrumented, observability } from './observability.ts';
import { apiRuntime } from './apiRuntime.ts';

const o = observability('runlater-api');
export const handler = instrumented(
  o,
  makeApiHandler(apiRuntime(process.env, { traceClient: o.traceClient }), o.logger),
);
