import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { transitionOf } from '../adapters/dynamodb/jobStream.ts';
import type { JobEventPublisher } from '../core/ports.ts';

/** What the job events function uses: lambdas/entrypoints/runtimes.ts builds exactly this on AWS. */
export interface JobEventsRuntime {
  events: JobEventPublisher;
}

/**
 * Consumes the jobs table's stream: each record that is a job's transition becomes a "Job State
 * Change" event, in the stream's order. The stream is the outbox: a transition is written once,
 * and its event follows whatever crashes in between. When the bus refuses one, the records from
 * it on are reported back (the stream checkpoint stops before it), so they come again in order;
 * the ones before are not published twice. Powertools' batch processor is not used here: it goes
 * on past a failed record, and events must not overtake one another.
 */
export function makeJobEventsHandler(
  runtime: JobEventsRuntime,
  logger = new Logger({ serviceName: 'runlater-events' }),
) {
  return async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const pending = event.Records.flatMap((record) => {
      const transition = transitionOf(record);
      return transition ? [{ record, transition }] : [];
    });
    const taken = await runtime.events.publish(pending.map((p) => p.transition));
    const first = pending[taken];
    if (!first) return { batchItemFailures: [] };
    logger.warn('job events not taken; retried from the first', {
      published: taken,
      left: pending.length - taken,
    });
    return { batchItemFailures: [{ itemIdentifier: first.record.dynamodb!.SequenceNumber! }] };
  };
}
