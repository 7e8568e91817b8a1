import type { FunctionName } from '../../../lambdas/entrypoints/functionEnv.ts';
import {
  apiRuntime,
  dispatcherRuntime,
  jobEventsRuntime,
  reconcilerRuntime,
  scheduleFireRuntime,
  taskStatusRuntime,
  webhookDeliveryRuntime,
  type RuntimeOptions,
} from '../../../lambdas/entrypoints/runtimes.ts';

/**
 * Each function's runtime factory, by function name, as its entry point calls it at cold start.
 * `satisfies` keeps each factory's own runtime type for callers that name the function.
 */
export const RUNTIME_FACTORIES = {
  api: apiRuntime,
  dispatcher: dispatcherRuntime,
  taskStatus: taskStatusRuntime,
  reconciler: reconcilerRuntime,
  scheduleFire: scheduleFireRuntime,
  webhookDelivery: webhookDeliveryRuntime,
  jobEvents: jobEventsRuntime,
} satisfies Record<FunctionName, (env: NodeJS.ProcessEnv, options?: RuntimeOptions) => unknown>;
