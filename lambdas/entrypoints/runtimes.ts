/**
 * Every function's runtime factory, for tests and tools that build several. An entry point imports
 * its own factory module instead (apiRuntime.ts, …), so its bundle carries no other function's
 * adapters and clients.
 */
export { apiRuntime } from './apiRuntime.ts';
export { dispatcherRuntime } from './dispatcherRuntime.ts';
export { jobEventsRuntime } from './jobEventsRuntime.ts';
export { reconcilerRuntime } from './reconcilerRuntime.ts';
export { envOf, type Env, type RuntimeOptions } from './runtimeEnv.ts';
export { scheduleFireRuntime } from './scheduleFireRuntime.ts';
export { taskStatusRuntime } from './taskStatusRuntime.ts';
export { webhookDeliveryRuntime } from './webhookDeliveryRuntime.ts';
