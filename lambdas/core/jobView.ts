import type { StoredJob } from './ports.ts';
import type { Job } from './schemas.ts';

/** The public view of a stored job: everything but the engine's own fields. */
export function toPublicJob(job: StoredJob): Job {
  const {
    stdin: _stdin,
    retry: _retry,
    taskId: _taskId,
    idempotencyKey: _key,
    requestHash: _hash,
    deliveries: _deliveries,
    deliveryDue: _due,
    dependents: _dependents,
    stdinReady: _ready,
    heldBack: _held,
    lastTransition: _last,
    ...view
  } = job;
  // Jobs stored before waitingReason (or priority) existed have none.
  return { ...view, waitingReason: view.waitingReason ?? null, priority: view.priority ?? 0 };
}
