import { makeDispatcherHandler } from '../handlers/dispatcher.ts';
import { dispatcherRuntime } from './runtimes.ts';

export const handler = makeDispatcherHandler(dispatcherRuntime());
