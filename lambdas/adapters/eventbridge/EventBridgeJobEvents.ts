import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { toPublicJob } from '../../core/jobView.ts';
import type { JobEventPublisher, JobTransitionEvent } from '../../core/ports.ts';

/** What runlater's events on EventBridge say they are: rules match on these. */
export const JOB_EVENT = { source: 'runlater', detailType: 'Job State Change' } as const;

/** PutEvents takes at most 10 entries a call. */
const ENTRIES_PER_CALL = 10;

/** The `detail` of a job's event: the transition, the status before it, the job as the API shows it. */
export function jobEventDetail({ transition, from, job }: JobTransitionEvent) {
  return {
    transition,
    previousStatus: from,
    // The same write seen twice (a stream record redelivered) carries the same id: consumers dedupe on it.
    transitionId: job.lastTransition?.id ?? null,
    job: toPublicJob(job),
  };
}

/**
 * Puts job transitions on an event bus, ten a call, in order, so users route them with rules (as
 * ECS does with its task state changes). Stops at the first entry the bus refused: what follows
 * is published again, in order, by the caller's retry.
 */
export class EventBridgeJobEvents implements JobEventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly eventBusName: string,
  ) {}

  async publish(events: readonly JobTransitionEvent[]): Promise<number> {
    let taken = 0;
    while (taken < events.length) {
      const chunk = events.slice(taken, taken + ENTRIES_PER_CALL);
      const out = await this.client.send(
        new PutEventsCommand({
          Entries: chunk.map((event) => ({
            EventBusName: this.eventBusName,
            Source: JOB_EVENT.source,
            DetailType: JOB_EVENT.detailType,
            Resources: [],
            Detail: JSON.stringify(jobEventDetail(event)),
          })),
        }),
      );
      if (out.FailedEntryCount) {
        // Entries answer in the order sent; one without an error code was taken.
        const refused = Math.max(
          0,
          (out.Entries ?? []).findIndex((e) => e.ErrorCode),
        );
        const entry = out.Entries?.[refused];
        console.error(`EventBridge refused a job event: ${entry?.ErrorCode} ${entry?.ErrorMessage ?? ''}`);
        return taken + refused;
      }
      taken += chunk.length;
    }
    return taken;
  }
}
