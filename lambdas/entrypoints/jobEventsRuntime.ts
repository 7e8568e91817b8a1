import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventBridgeJobEvents } from '../adapters/eventbridge/EventBridgeJobEvents.ts';
import type { JobEventsRuntime } from '../handlers/jobEvents.ts';
import { envOf, region, untraced, type RuntimeOptions } from './runtimeEnv.ts';

/** The job events function: fed by the jobs table's stream, it puts each transition on the bus. */
export function jobEventsRuntime(
  source: NodeJS.ProcessEnv = process.env,
  { traceClient: t = untraced }: RuntimeOptions = {},
): JobEventsRuntime {
  const get = envOf('jobEvents', source);
  return {
    // Every invocation puts events: the client is made at init.
    events: new EventBridgeJobEvents(t(new EventBridgeClient(region(source))), get('EVENT_BUS_NAME')),
  };
}
