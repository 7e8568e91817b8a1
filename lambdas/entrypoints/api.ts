import { makeApiHandler } from '../handlers/api.ts';
import { apiRuntime } from './runtimes.ts';

export const handler = makeApiHandler(apiRuntime());
