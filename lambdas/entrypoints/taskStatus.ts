import { makeTaskStatusHandler } from '../handlers/taskStatus.ts';
import { awsRuntime } from './awsRuntime.ts';

export const handler = makeTaskStatusHandler(awsRuntime());
