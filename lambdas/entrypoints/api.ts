import { makeApiHandler } from '../handlers/api.ts';
import { awsRuntime } from './awsRuntime.ts';

export const handler = makeApiHandler(awsRuntime());
