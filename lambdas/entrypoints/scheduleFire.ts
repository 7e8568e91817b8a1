import { makeScheduleFireHandler } from '../handlers/scheduleFire.ts';
import { scheduleFireRuntime } from './runtimes.ts';

export const handler = makeScheduleFireHandler(scheduleFireRuntime());
