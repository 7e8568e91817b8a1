import { makeScheduleFireHandler } from '../handlers/scheduleFire.ts';
import { instrumented, observability } from './observability.ts';
import { scheduleFireRuntime } from './scheduleFireRuntime.ts';

const o = observability('runlater-scheduleFire');
export const handler = instrumented(
  o,
  makeScheduleFireHandler(scheduleFireRuntime(process.env, { traceClient: o.traceClient }), o.logger),
);
