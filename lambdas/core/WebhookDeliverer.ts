import { TransitionConflictError } from './errors.ts';
import { toPublicJob } from './jobView.ts';
import type {
  Clock,
  DeliveryMessage,
  DeliveryQueue,
  JobStore,
  StoredJob,
  WebhookSender,
  WorkerStore,
} from './ports.ts';
import type { Delivery } from './schemas.ts';
import { DELIVERY_OVERDUE_SECONDS, nextAttemptAt, outcomeOf, withDeliveries } from './webhooks.ts';

/** The longest delay a queue message can carry (SQS: 15 minutes); longer waits take several hops. */
const MAX_QUEUE_DELAY_SECONDS = 900;

export interface WebhookDelivererDeps {
  jobs: JobStore;
  workers: WorkerStore;
  queue: DeliveryQueue;
  sender: WebhookSender;
  clock: Clock;
}

export type DeliveryOutcome = 'delivered' | 'retry-scheduled' | 'failed' | 'not-due' | 'nothing-to-do';

/**
 * Makes one attempt of one pending delivery, records it on the job, and queues the next attempt
 * when one is due. Fed by the delivery queue; never called in the path that records a job's state.
 * At least once: the attempt is recorded after the POST, so a crash between the two repeats the
 * POST with the same webhook-id, which receivers dedupe on.
 */
export class WebhookDeliverer {
  constructor(private readonly deps: WebhookDelivererDeps) {}

  async deliver(message: DeliveryMessage): Promise<DeliveryOutcome> {
    const { jobs, workers, sender, clock } = this.deps;
    const job = await jobs.get(message.jobId);
    const delivery = job?.deliveries?.find((d) => d.id === message.deliveryId);
    if (!job || !delivery || delivery.status !== 'pending') return 'nothing-to-do';

    // A message that came early (a long backoff spans several queue hops, or a duplicate) waits on.
    const waitSeconds = Math.ceil((Date.parse(delivery.nextAttemptAt ?? '') - clock.now().getTime()) / 1000);
    if (waitSeconds > 1) {
      await this.deps.queue.send(message, Math.min(waitSeconds, MAX_QUEUE_DELAY_SECONDS));
      return 'not-due';
    }

    const worker = await workers.get(job.worker);
    const at = clock.now();
    const result = worker?.webhookSecret
      ? await sender.send({
          url: delivery.url,
          id: delivery.id,
          timestamp: at,
          payload: JSON.stringify({
            type: delivery.event,
            timestamp: at.toISOString(),
            data: toPublicJob(job),
          }),
          secret: worker.webhookSecret,
        })
      : {
          error: `worker "${job.worker}" no longer exists: there is no secret to sign with`,
          permanent: true,
        };

    const outcome = outcomeOf(result);
    const attempts = [
      ...delivery.attempts,
      {
        attempt: delivery.attempts.length + 1,
        at: at.toISOString(),
        responseCode: 'status' in result ? result.status : null,
        error: 'error' in result ? result.error : outcome === 'delivered' ? null : `HTTP ${result.status}`,
      },
    ];
    const next = outcome === 'retry' ? nextAttemptAt(attempts.length, at) : undefined;
    const updated: Delivery = {
      ...delivery,
      attempts,
      status: outcome === 'delivered' ? 'delivered' : next ? 'pending' : 'failed',
      nextAttemptAt: next?.toISOString() ?? null,
    };
    await this.record(job, updated);
    if (next)
      await this.deps.queue.send(
        message,
        Math.min(Math.ceil((next.getTime() - at.getTime()) / 1000), MAX_QUEUE_DELAY_SECONDS),
      );
    return updated.status === 'delivered'
      ? 'delivered'
      : updated.status === 'failed'
        ? 'failed'
        : 'retry-scheduled';
  }

  /**
   * Writes the delivery's new state beside the job's own, conditional on the job being as read:
   * a transition or another delivery that wrote meanwhile wins, and this one merges onto it.
   */
  private async record(job: StoredJob, delivery: Delivery): Promise<void> {
    let current = job;
    for (let tries = 0; tries < 5; tries++) {
      const deliveries = (current.deliveries ?? []).map((d) => (d.id === delivery.id ? delivery : d));
      try {
        await this.deps.jobs.update(
          current.id,
          { status: [current.status], updatedAt: current.updatedAt },
          { ...withDeliveries(deliveries), updatedAt: this.deps.clock.now().toISOString() },
        );
        return;
      } catch (err) {
        if (!(err instanceof TransitionConflictError)) throw err;
        if (!err.current) throw err;
        current = err.current as StoredJob;
      }
    }
    throw new Error(`job ${job.id} kept changing; the delivery attempt will be retried`);
  }
}

/**
 * Queues again every pending delivery whose message seems lost (a crash between the write that
 * recorded it and the message, or a message dropped): run by the reconciler. A duplicate message
 * is harmless: an attempt that finds its delivery done, or not yet due, does nothing.
 */
export async function requeueOverdueDeliveries(
  deps: { jobs: JobStore; queue: DeliveryQueue; clock: Clock },
  limit = 500,
): Promise<number> {
  const { jobs, queue, clock } = deps;
  const cutoff = clock.now().getTime() - DELIVERY_OVERDUE_SECONDS * 1000;
  let sent = 0;
  let cursor: string | undefined;
  do {
    const page = await jobs.list({ deliveryDue: true, limit: 100, ...(cursor ? { cursor } : {}) });
    for (const job of page.jobs)
      for (const d of job.deliveries ?? [])
        if (d.status === 'pending' && Date.parse(d.nextAttemptAt ?? d.createdAt) < cutoff) {
          await queue.send({ jobId: job.id, deliveryId: d.id }, 0);
          sent++;
        }
    cursor = page.nextCursor;
  } while (cursor && sent < limit);
  return sent;
}
