import { isFinal, JobStatus } from './jobStatus.ts';
import type { JobTransition, StoredJob } from './ports.ts';
import type { Delivery, WebhookEvent } from './schemas.ts';

/**
 * The rules of webhook deliveries, apart from how they are stored and sent. A delivery is
 * recorded `pending` on the job IN THE SAME conditional write as the transition it reports
 * (JobStateMachine), so a crash after that write loses nothing: the delivery queue takes it from
 * there, and the reconciler re-sends the message of any delivery that is overdue.
 */

/**
 * Seconds to wait before each retry. Together about 31.7 hours, so a receiver that is down for a
 * day still gets every delivery; the first ones are short, since most failures are blips.
 */
export const DELIVERY_BACKOFF_SECONDS = [
  1, 5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800, 28800, 28800,
] as const;

/** A receiver that has not answered within this is treated like one that failed (retried). */
export const DELIVERY_TIMEOUT_MS = 10_000;

/** A pending delivery this far past its due time has lost its queue message: it is sent again. */
export const DELIVERY_OVERDUE_SECONDS = 60;

/**
 * The events a transition raises, from the job before it and as written. `job.started` is raised
 * when the job's program is first known to have started: usually by `markRunning`, but a quick
 * task's stop may be the first news of it (its running update skipped or late).
 */
export function eventsOf(transition: JobTransition, before: StoredJob, after: StoredJob): WebhookEvent[] {
  const events: WebhookEvent[] = [];
  if (!hasStarted(before) && hasStarted(after)) events.push('job.started');
  const attemptEnded =
    transition === 'requeue' || (transition === 'finish' && before.status !== JobStatus.Queued);
  if (attemptEnded) events.push('attempt.ended');
  if (transition === 'finish' && isFinal(after.status)) events.push('job.finished');
  return events;
}

function hasStarted(job: StoredJob): boolean {
  return job.startedAt !== null || job.attempts.some((a) => a.startedAt !== null);
}

/** The stable `webhook-id` of one event of one job: redeliveries carry the same id. */
export function deliveryId(jobId: string, event: WebhookEvent, attempt: number): string {
  return event === 'attempt.ended' ? `msg_${jobId}_attempt_${attempt}` : `msg_${jobId}_${event}`;
}

/**
 * The deliveries a transition raises, to be appended in the same write as the transition (so
 * they are on record atomically with it). Empty when the job has no `notify` or asks for none of
 * these events.
 */
export function newDeliveries(
  transition: JobTransition,
  before: StoredJob,
  written: StoredJob,
  at: string,
): Delivery[] {
  const notify = written.notify;
  if (!notify) return [];
  const wanted = eventsOf(transition, before, written).filter((e) =>
    (notify.events ?? ['job.finished']).includes(e),
  );
  const known = new Set((written.deliveries ?? []).map((d) => d.id));
  return wanted
    .map((event) => ({
      id: deliveryId(written.id, event, written.attempt),
      event,
      url: notify.url,
      status: 'pending' as const,
      createdAt: at,
      nextAttemptAt: at,
      attempts: [],
    }))
    .filter((d) => !known.has(d.id));
}

/** How one POST went, as the sender saw it. */
export type SendResult = { status: number } | { error: string; permanent?: boolean };

/**
 * Standard Webhooks: retry on network errors, timeouts and 5xx; a 4xx is the receiver saying no,
 * final, except 408 (timeout) and 429 (slow down). 2xx is delivered; anything else (1xx, 3xx: we
 * follow no redirects) is a failure worth retrying.
 */
export function outcomeOf(result: SendResult): 'delivered' | 'retry' | 'failed' {
  if ('error' in result) return result.permanent ? 'failed' : 'retry';
  const code = result.status;
  if (code >= 200 && code < 300) return 'delivered';
  if (code >= 400 && code < 500 && code !== 408 && code !== 429) return 'failed';
  return 'retry';
}

/** When the attempt after `attemptsMade` is due, or undefined when retries are used up. */
export function nextAttemptAt(attemptsMade: number, now: Date): Date | undefined {
  const delay = DELIVERY_BACKOFF_SECONDS[attemptsMade - 1];
  return delay === undefined ? undefined : new Date(now.getTime() + delay * 1000);
}

/** The deliveries, and whether any is still pending (the reconciler's index marker). */
export function withDeliveries(deliveries: Delivery[]): Pick<StoredJob, 'deliveries' | 'deliveryDue'> {
  return {
    deliveries,
    deliveryDue: deliveries.some((d) => d.status === 'pending') ? 'pending' : undefined,
  };
}
