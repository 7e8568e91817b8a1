import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { JobTransitionEvent } from '../../core/ports.ts';
import { fromItem, isJob } from './jobItems.ts';

/**
 * The transition a record of the jobs table's stream (NEW_AND_OLD_IMAGES) shows, if any. The job
 * state machine stamps every write it makes with `lastTransition` (a fresh id each time), so a
 * record is a transition exactly when that stamp changed: a new job (`create`), a new stamp (the
 * transition it names), or a job deleted by `remove`. Not transitions: writes that keep the stamp
 * (a webhook delivery's result), items that are not jobs (idempotency claims, concurrency slots),
 * and deletions by DynamoDB's TTL, which is retention, not a change of the job.
 */
export function transitionOf(record: DynamoDBRecord): JobTransitionEvent | undefined {
  const image = (which: 'NewImage' | 'OldImage') => {
    const raw = record.dynamodb?.[which];
    if (!raw) return undefined;
    const item = unmarshall(raw as Parameters<typeof unmarshall>[0]);
    return isJob(item) ? fromItem(item) : undefined;
  };
  const before = image('OldImage');
  const after = image('NewImage');
  if (record.eventName === 'REMOVE') {
    if (!before || isTtlDeletion(record)) return undefined;
    return { transition: 'remove', from: before.status, job: before };
  }
  const stamp = after?.lastTransition;
  if (!after || !stamp || stamp.id === before?.lastTransition?.id) return undefined;
  return { transition: stamp.name, from: stamp.from, job: after };
}

/** DynamoDB's own deletions (TTL) carry this identity; a caller's DeleteItem carries none. */
function isTtlDeletion(record: DynamoDBRecord): boolean {
  const identity = record.userIdentity as { type?: string; principalId?: string } | undefined;
  return identity?.type === 'Service' && identity.principalId === 'dynamodb.amazonaws.com';
}
