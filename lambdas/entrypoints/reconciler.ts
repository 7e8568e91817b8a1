import { makeReconcilerHandler } from '../handlers/reconciler.ts';
import { awsRuntime } from './awsRuntime.ts';

export const handler = makeReconcilerHandler(awsRuntime());
