import { monotonicFactory } from 'ulid';

const nextUlid = monotonicFactory();

/** Job ids are ULIDs: unique, and sortable by creation time, so listings come out newest first for free. */
export function newJobId(now: number = Date.now()): string {
  return nextUlid(now).toLowerCase();
}

/** Each written transition's own id (StoredJob.lastTransition): unique, so a stream reader tells one write from the next. */
export function newTransitionId(): string {
  return nextUlid(Date.now()).toLowerCase();
}

/** A job id: a ULID, or an array child's `<parent ULID>-<index>` (arrays.ts, childId). */
export const JOB_ID_PATTERN = /^[0-9a-hjkmnp-tv-z]{26}(?:-(?:0|[1-9]\d{0,3}))?$/;
