import type { ChildCounts } from './arrays.ts';
import type { StoredJob } from './ports.ts';
import type { Job } from './schemas.ts';

/** The public view of a stored job: everything but the engine's own fields; an array parent's with its children's `counts` when given. */
export function toPublicJob(job: StoredJob, counts?: ChildCounts): Job {
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
    arraySize: _size,
    ...view
  } = job;
  // Jobs stored before waitingReason (or priority) existed have none.
  return {
    ...view,
    waitingReason: view.waitingReason ?? null,
    priority: view.priority ?? 0,
    ...(view.array && counts ? { array: { ...view.array, counts } } : {}),
  };
}
