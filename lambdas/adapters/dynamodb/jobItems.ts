import type { StoredJob } from '../../core/ports.ts';

/** Attributes the table needs that are not part of the job: the index keys and the TTL. */
export const STORAGE_ONLY = [
  'kind',
  'expiresAt',
  'phantom',
  'workerState',
  'stateOrder',
  'parentState',
  'parentOrder',
] as const;

/** An item of the jobs table that is a job (the table also holds idempotency claims and slots). */
export function isJob(item: Record<string, unknown> | undefined): item is Record<string, unknown> {
  return item?.kind === 'job' && item.phantom !== true;
}

export function fromItem(item: Record<string, unknown>): StoredJob {
  const job = { ...item };
  for (const key of STORAGE_ONLY) delete job[key];
  return job as unknown as StoredJob;
}
