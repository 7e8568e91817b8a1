import type { DeliveryQueue, JobObserver } from './ports.ts';

/**
 * Queues the deliveries a transition just recorded (they are on the job already: this only makes
 * them go at once rather than when the reconciler finds them overdue).
 */
export function deliveryObserver(queue: DeliveryQueue): JobObserver {
  return {
    onTransition: async ({ job }) => {
      for (const d of job.deliveries ?? [])
        if (d.status === 'pending' && d.attempts.length === 0 && d.nextAttemptAt === job.updatedAt)
          await queue.send({ jobId: job.id, deliveryId: d.id }, 0);
    },
  };
}

/** One observer that tells each of `observers` in turn; one's failure does not keep the rest from hearing. */
export function allObservers(...observers: (JobObserver | undefined)[]): JobObserver {
  const present = observers.filter((o): o is JobObserver => o !== undefined);
  const each = async (call: (o: JobObserver) => Promise<void> | void | undefined) => {
    for (const o of present)
      try {
        await call(o);
      } catch (err) {
        // After the write: a failed observer is reported, and does not keep the next from hearing.
        console.error('job observer failed:', err);
      }
  };
  return {
    onTransition: (event) => each((o) => o.onTransition?.(event)),
    onAttemptEnded: (job) => each((o) => o.onAttemptEnded?.(job)),
    onFinished: (job) => each((o) => o.onFinished?.(job)),
  };
}
