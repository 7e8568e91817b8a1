import { makeDispatcherHandler } from '../handlers/dispatcher.ts';
import { awsRuntime } from './awsRuntime.ts';

export const handler = makeDispatcherHandler(awsRuntime());
