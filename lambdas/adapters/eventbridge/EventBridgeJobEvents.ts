import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { toPublicJob } from '../../core/jobView.ts';
import type { JobObserver } from '../../core/ports.ts';

/** What runlater's events on EventBridge say they are: rules match on these. */
export const JOB_EVENT = { source: 'runlater', detailType: 'Job State Change' } as const;

/**
 * Puts every written transition of a job on an event bus, the job as the API shows it in
 * `detail`, so users route them with rules (as ECS does with its task state changes). Best
 * effort, after the write: a failed put is reported, never undoes the transition.
 */
export function eventBridgeJobEvents(client: EventBridgeClient, eventBusName: string): JobObserver {
  return {
    onTransition: async ({ transition, from, job }) => {
      const out = await client.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: eventBusName,
              Source: JOB_EVENT.source,
              DetailType: JOB_EVENT.detailType,
              Resources: [],
              Detail: JSON.stringify({ transition, previousStatus: from, job: toPublicJob(job) }),
            },
          ],
        }),
      );
      if (out.FailedEntryCount)
        throw new Error(
          `EventBridge refused the event: ${out.Entries?.[0]?.ErrorMessage ?? 'no reason given'}`,
        );
    },
  };
}
