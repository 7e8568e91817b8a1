import { makeReconcilerHandler } from '../handlers/reconciler.ts';
import { reconcilerRuntime } from './runtimes.ts';

export const handler = makeReconcilerHandler(reconcilerRuntime());
