import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';

/** A queue that can make a message it delivered visible again sooner than its visibility timeout. */
export interface MessageVisibility {
  retryAfter(receiptHandle: string, seconds: number): Promise<void>;
}

/** Never longer than the dispatch queue's visibility timeout: the wait before this change. */
export const MAX_RETRY_DELAY_SECONDS = 180;

/**
 * How long a failed message waits before its next delivery: exponential in its receive count
 * (1–2 s, 2–4 s, 4–8 s, … up to 180 s), with jitter so that a throttled batch does not come back
 * all at once. Pure: `random` is injected.
 */
export function retryDelaySeconds(receiveCount: number, random: () => number = Math.random): number {
  const n = Math.max(1, Math.min(30, Math.floor(receiveCount) || 1));
  const ceiling = Math.min(MAX_RETRY_DELAY_SECONDS, 2 ** n);
  return Math.max(1, Math.ceil(ceiling / 2 + (random() * ceiling) / 2));
}

type SqsHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

/**
 * Wraps an SQS handler that reports partial batch failures: each failed record comes back after
 * `retryDelaySeconds` instead of the queue's whole visibility timeout. If changing the visibility
 * fails, the record still comes back, later: nothing is lost either way.
 */
export function withRetryBackoff(
  handler: SqsHandler,
  visibility: MessageVisibility,
  random: () => number = Math.random,
): SqsHandler {
  return async (event) => {
    const response = await handler(event);
    const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    await Promise.all(
      event.Records.filter((r) => failed.has(r.messageId)).map(async (r) => {
        const seconds = retryDelaySeconds(Number(r.attributes.ApproximateReceiveCount), random);
        try {
          await visibility.retryAfter(r.receiptHandle, seconds);
        } catch (err) {
          console.warn(`could not shorten the wait of message ${r.messageId}:`, (err as Error).message);
        }
      }),
    );
    return response;
  };
}
