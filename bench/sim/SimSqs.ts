import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { DispatchMessage, DispatchQueue } from '../../lambdas/core/ports.ts';
import type { MessageVisibility } from '../../lambdas/pacing/retryBackoff.ts';
import type { VirtualTime } from './VirtualTime.ts';

interface Message {
  id: string;
  body: string;
  sentAt: number;
  visibleAt: number;
  receiveCount: number;
  receipt: string;
  receivedAt: number;
}

export interface SimSqsOptions {
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
  batchSize: number;
  /** The event source mapping's maximum concurrency: this many pollers, each invoking the function. */
  concurrency: number;
  /** What one receive plus one invoke costs the event source, in ms. */
  pollOverheadMs: number;
}

/**
 * SQS as the dispatcher sees it: delays, at-least-once delivery, a visibility timeout, receipt
 * handles that a new receive invalidates, a dead-letter count; and a Lambda event source mapping
 * with `concurrency` pollers that delete a batch's successes and leave its failures in flight.
 */
export class SimSqs implements DispatchQueue, MessageVisibility {
  private readonly messages = new Map<string, Message>();
  private nextId = 0;
  private stopped = false;
  readonly deadLettered: string[] = [];
  receives = 0;
  /** For each message that failed once: how long until it was received again. */
  readonly firstRetryGapsMs: number[] = [];

  constructor(
    private readonly time: VirtualTime,
    private readonly options: SimSqsOptions,
  ) {}

  async send(message: DispatchMessage, delaySeconds: number): Promise<void> {
    const id = `m${++this.nextId}`;
    const now = this.time.now();
    this.messages.set(id, {
      id,
      body: JSON.stringify(message),
      sentAt: now,
      visibleAt: now + Math.min(900, Math.max(0, delaySeconds)) * 1000,
      receiveCount: 0,
      receipt: '',
      receivedAt: 0,
    });
  }

  async retryAfter(receiptHandle: string, seconds: number): Promise<void> {
    const m = this.byReceipt(receiptHandle);
    if (!m) throw new Error('ReceiptHandleIsInvalid');
    m.visibleAt = this.time.now() + seconds * 1000;
  }

  hasMessageFor(jobId: string): boolean {
    for (const m of this.messages.values())
      if ((JSON.parse(m.body) as DispatchMessage).jobId === jobId) return true;
    return false;
  }

  get depth(): number {
    return this.messages.size;
  }

  /**
   * Starts one poller per function instance (`instances[i]` handles one batch at a time, as a
   * Lambda instance does); they stop when `stop()` is called.
   */
  startPollers(instances: ((event: SQSEvent) => Promise<SQSBatchResponse>)[]): Promise<void>[] {
    return instances.map((handler) => this.poll(handler));
  }

  stop(): void {
    this.stopped = true;
  }

  private async poll(handler: (event: SQSEvent) => Promise<SQSBatchResponse>): Promise<void> {
    while (!this.stopped) {
      await this.time.sleep(this.options.pollOverheadMs);
      const batch = this.receive();
      if (batch.length === 0) {
        // Long polling: back as soon as a message is visible, at most 20 s later.
        const next = Math.min(...[...this.messages.values()].map((m) => m.visibleAt));
        await this.time.sleep(Math.min(20_000, Math.max(50, next - this.time.now())));
        continue;
      }
      const records = batch.map((m) => toRecord(m, this.time.now()));
      let failed: Set<string>;
      try {
        const response = await handler({ Records: records });
        failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
      } catch {
        failed = new Set(records.map((r) => r.messageId));
      }
      for (const r of records)
        if (!failed.has(r.messageId) && this.messages.get(r.messageId)?.receipt === r.receiptHandle)
          this.messages.delete(r.messageId);
    }
  }

  private receive(): Message[] {
    const now = this.time.now();
    const batch: Message[] = [];
    for (const m of this.messages.values()) {
      if (batch.length >= this.options.batchSize) break;
      if (m.visibleAt > now) continue;
      if (m.receiveCount >= this.options.maxReceiveCount) {
        this.messages.delete(m.id);
        this.deadLettered.push(m.body);
        continue;
      }
      m.receiveCount++;
      if (m.receiveCount === 2) this.firstRetryGapsMs.push(now - m.receivedAt);
      m.receivedAt = now;
      m.receipt = `${m.id}/${m.receiveCount}`;
      m.visibleAt = now + this.options.visibilityTimeoutSeconds * 1000;
      batch.push(m);
    }
    this.receives += batch.length;
    return batch;
  }

  private byReceipt(receipt: string): Message | undefined {
    const m = this.messages.get(receipt.split('/')[0]!);
    return m?.receipt === receipt ? m : undefined;
  }
}

function toRecord(m: Message, now: number): SQSRecord {
  return {
    messageId: m.id,
    receiptHandle: m.receipt,
    body: m.body,
    attributes: {
      ApproximateReceiveCount: String(m.receiveCount),
      SentTimestamp: String(m.sentAt),
      SenderId: 'sim',
      ApproximateFirstReceiveTimestamp: String(now),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:sim:000000000000:dispatch',
    awsRegion: 'sim',
  };
}
