import { makeScheduleFireHandler } from '../handlers/scheduleFire.ts';
import { awsRuntime } from './awsRuntime.ts';

export const handler = makeScheduleFireHandler(awsRuntime());
