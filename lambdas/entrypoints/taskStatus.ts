import { makeTaskStatusHandler } from '../handlers/taskStatus.ts';
import { taskStatusRuntime } from './runtimes.ts';

export const handler = makeTaskStatusHandler(taskStatusRuntime());
