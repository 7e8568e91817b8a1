import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DispatchMessage, DispatchQueue } from '../../../lambdas/core/ports.ts';

/** What a queue implementation gives the suite. */
export interface DispatchQueueSubject {
  queue: DispatchQueue;
  /**
   * The longest delay the queue holds a message itself; a longer one may come at this delay, and
   * the dispatcher sends it back for the rest (SQS: 900 s). Infinity when it holds any delay.
   */
  maxDelaySeconds: number;
  /** Waits (boundedly) until `count` messages were delivered, and returns them as the dispatcher gets them. */
  delivered(count: number): Promise<DispatchMessage[]>;
  /** For each message sent so far, in order: seconds from its sending until it may be delivered. */
  holds(): Promise<{ message: DispatchMessage; seconds: number }[]>;
  close(): Promise<void>;
}

/** A message may come at most this early: the dispatcher starts one that is due within a second. */
const TOLERANCE_SECONDS = 1;

/**
 * The DispatchQueue contract the dispatcher relies on: every message is delivered (at least once)
 * with its body intact, never before its delay (up to the queue's own maximum), and a negative or
 * fractional delay is not a reason to fail.
 */
export function dispatchQueueConformance(name: string, open: () => Promise<DispatchQueueSubject>): void {
  describe(`DispatchQueue conformance: ${name}`, () => {
    let subject: DispatchQueueSubject;
    before(async () => {
      subject = await open();
    });
    after(() => subject.close());

    it('delivers every message sent without a delay, body intact', async () => {
      const sent = Array.from({ length: 12 }, (_, i) => ({ jobId: `01conformance${i}`, attempt: i + 1 }));
      await Promise.all(sent.map((m) => subject.queue.send(m, 0)));
      const got = await subject.delivered(sent.length);
      const key = (m: DispatchMessage) => `${m.jobId}#${m.attempt}`;
      assert.deepEqual(new Set(got.map(key)), new Set(sent.map(key)));
      for (const m of got) assert.deepEqual(Object.keys(m).sort(), ['attempt', 'jobId']);
    });

    it('holds a delayed message for its delay, up to its maximum, never less', async () => {
      const asked = [0.2, 1, 5, 600, 900, 3600, 7 * 86400, -3];
      for (const [i, delay] of asked.entries())
        await subject.queue.send({ jobId: `01delayed${i}`, attempt: 1 }, delay);
      const holds = (await subject.holds()).filter((h) => h.message.jobId.startsWith('01delayed'));
      assert.equal(holds.length, asked.length);
      for (const [i, delay] of asked.entries()) {
        const held = holds.find((h) => h.message.jobId === `01delayed${i}`)!.seconds;
        const due = Math.min(Math.max(0, delay), subject.maxDelaySeconds);
        assert.ok(held >= due - TOLERANCE_SECONDS, `a delay of ${delay}s was held ${held}s`);
        assert.ok(held <= Math.max(0, delay) + TOLERANCE_SECONDS, `a delay of ${delay}s was held ${held}s`);
      }
    });
  });
}
