import { randomUUID } from 'node:crypto';
import {
  DeleteCommand,
  ScanCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { DispatchMessage } from '../lambdas/core/ports.ts';
import { isConditionFailed } from '../lambdas/adapters/dynamodb/conditionalWrite.ts';
import type { MessageVisibility } from '../lambdas/pacing/retryBackoff.ts';
import { DueIndex } from './DueIndex.ts';
import { GroupCommit, putItems } from './GroupCommit.ts';

export interface LocalQueueOptions {
  doc: DynamoDBDocumentClient;
  tableName: string;
  /**
   * Receives one message at a time shaped as an SQS event and answers with partial batch
   * failures, like Lambda with a batch size of 1. Called up to `concurrency` times at once.
   */
  consumer: (event: SQSEvent) => Promise<SQSBatchResponse | void>;
  visibilityTimeoutSeconds?: number;
  /** After this many receives a message goes to the dead-letter state (kept, never delivered). */
  maxReceiveCount?: number;
  /** Messages handled at once: a sliding window, each slot refilled as its message finishes. */
  concurrency?: number;
}

interface StoredMessage {
  id: string;
  body: string;
  sentAt: number;
  visibleAt: number;
  receiveCount: number;
  receipt?: string;
  dead?: boolean;
}

/** setTimeout's longest wait; a message due later is looked at again then. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A queue with the SQS semantics the dispatcher relies on: delays, a visibility timeout,
 * redelivery of failed records, a shorter wait on request (ChangeMessageVisibility), a
 * dead-letter state. Written here because no SQS emulator runs on one machine without Java.
 *
 * Every message lives in the embedded DynamoDB, written before it counts, so a restart loses none;
 * the table is read once, at start. In between, an in-memory index by visible time says which
 * message is next and a single timer sleeps until it is due: an idle queue does no work however
 * many delayed messages it holds. It has one consumer (this process), so messages in flight when
 * a previous process died are made visible again at start instead of waiting out their timeout.
 */
/** `M` is the message type: dispatch messages, or webhook delivery messages for the second queue. */
export class LocalQueue<M = DispatchMessage> implements MessageVisibility {
  private readonly messages = new Map<string, StoredMessage>();
  private readonly due = new DueIndex();
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Sends that arrive while one is being written go together in the next write (GroupCommit.ts). */
  private readonly sends = new GroupCommit<StoredMessage>((batch) =>
    putItems(this.options.doc, this.options.tableName, batch as unknown as Record<string, unknown>[]),
  );
  private dead = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private pumping = false;
  private stopped = true;
  private readonly visibilityMs: number;
  private readonly maxReceiveCount: number;
  private readonly concurrency: number;

  constructor(private readonly options: LocalQueueOptions) {
    this.visibilityMs = (options.visibilityTimeoutSeconds ?? 60) * 1000;
    this.maxReceiveCount = options.maxReceiveCount ?? 50;
    this.concurrency = Math.max(1, options.concurrency ?? 10);
  }

  async send(message: M, delaySeconds: number): Promise<void> {
    const now = Date.now();
    const m: StoredMessage = {
      id: randomUUID(),
      body: JSON.stringify(message),
      sentAt: now,
      visibleAt: now + Math.max(0, delaySeconds) * 1000,
      receiveCount: 0,
    };
    await this.sends.add(m);
    this.index(m);
  }

  /** Makes a message handed out under `receiptHandle` visible again after `seconds`. */
  async retryAfter(receiptHandle: string, seconds: number): Promise<void> {
    // Only a message being handled has a live receipt: look among those (at most `concurrency`).
    const m = [...this.inFlight.keys()]
      .map((id) => this.messages.get(id))
      .find((x) => x?.receipt === receiptHandle);
    if (!m) throw new Error('the receipt handle is no longer valid');
    if (await this.update(m, { visibleAt: Date.now() + Math.max(0, seconds) * 1000 })) this.index(m);
  }

  async start(): Promise<void> {
    this.stopped = false;
    for (const m of await this.scan()) {
      if (m.dead) {
        this.dead++;
        continue;
      }
      this.messages.set(m.id, m);
      // In flight in a process that is gone: nobody will finish it, deliver it again now.
      if (m.receipt) await this.update(m, { visibleAt: Date.now() });
      this.due.set(m.id, m.visibleAt);
    }
    this.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.all(this.inFlight.values());
  }

  /** Counts of messages by state, for tests and `runlater dev`'s status line. */
  async depth(): Promise<{ visible: number; delayedOrInFlight: number; dead: number }> {
    const { due, later } = this.due.countDue(Date.now());
    const handledUnindexed = [...this.inFlight.keys()].filter((id) => !this.due.has(id)).length;
    return { visible: due, delayedOrInFlight: later + handledUnindexed, dead: this.dead };
  }

  private index(m: StoredMessage): void {
    this.messages.set(m.id, m);
    this.due.set(m.id, m.visibleAt);
    this.wake();
  }

  /** Fills free slots with due messages, then sleeps until the next one is due. */
  private wake(): void {
    if (this.stopped || this.pumping) return;
    this.pumping = true;
    void this.pump()
      .catch((err) => console.error('local queue: receive failed:', err))
      .finally(() => {
        this.pumping = false;
        this.arm();
      });
  }

  private async pump(): Promise<void> {
    while (!this.stopped && this.inFlight.size < this.concurrency) {
      const id = this.due.popDue(Date.now());
      if (id === undefined) return;
      const m = this.messages.get(id);
      if (!m || this.inFlight.has(id)) continue;
      if (m.receiveCount >= this.maxReceiveCount) {
        if (await this.update(m, { dead: true })) {
          this.messages.delete(id);
          this.dead++;
          console.error(
            `local queue: message ${id} moved to the dead-letter state after ${m.receiveCount} receives`,
          );
        }
        continue;
      }
      const receipt = randomUUID();
      const visibleAt = Date.now() + this.visibilityMs;
      if (!(await this.update(m, { visibleAt, receipt, receiveCount: m.receiveCount + 1 }))) continue;
      // Seen again when its visibility runs out, unless it is deleted or retried sooner.
      this.due.set(id, visibleAt);
      // Started on the next microtask, so the message counts as in flight before its consumer runs.
      const handling = Promise.resolve()
        .then(() => this.handle({ ...m }))
        .finally(() => {
          this.inFlight.delete(id);
          // Not deleted (failed, or its visibility ran out while it was handled): due again at its time.
          const left = this.messages.get(id);
          if (left && !this.due.has(id)) this.due.set(id, left.visibleAt);
          this.wake();
        });
      this.inFlight.set(id, handling);
    }
  }

  private arm(): void {
    if (this.stopped) return;
    const next = this.due.nextAt();
    if (next === undefined || this.inFlight.size >= this.concurrency) return;
    if (this.timer && this.timerAt <= next) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = next;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Infinity;
        this.wake();
      },
      Math.min(MAX_TIMER_MS, Math.max(0, next - Date.now())),
    );
  }

  private async handle(m: StoredMessage): Promise<void> {
    let failed = true;
    try {
      const response = await this.options.consumer({ Records: [toRecord(m, this.options.tableName)] });
      failed = (response?.batchItemFailures ?? []).some((f) => f.itemIdentifier === m.id);
    } catch (err) {
      // A consumer that throws fails the whole batch, as with Lambda.
      console.error('local queue: consumer failed:', err);
    }
    if (!failed) await this.delete(m).catch((err) => console.error('local queue: delete failed:', err));
  }

  private async scan(): Promise<StoredMessage[]> {
    const items: StoredMessage[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.options.doc.send(
        new ScanCommand({
          TableName: this.options.tableName,
          ExclusiveStartKey: start,
          ConsistentRead: true,
        }),
      );
      items.push(...((page.Items ?? []) as StoredMessage[]));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /**
   * Conditional on the message being as we last wrote it (its visibleAt), so a stale in-memory
   * copy can never overwrite a newer state; on success the copy in memory is patched too.
   */
  private async update(m: StoredMessage, patch: Partial<StoredMessage>): Promise<boolean> {
    const keys = Object.keys(patch);
    try {
      await this.options.doc.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { id: m.id },
          UpdateExpression: `SET ${keys.map((_, i) => `#k${i} = :v${i}`).join(', ')}`,
          ConditionExpression: '#visibleAt = :seen',
          ExpressionAttributeNames: {
            '#visibleAt': 'visibleAt',
            ...Object.fromEntries(keys.map((k, i) => [`#k${i}`, k])),
          },
          ExpressionAttributeValues: {
            ':seen': m.visibleAt,
            ...Object.fromEntries(keys.map((k, i) => [`:v${i}`, patch[k as keyof StoredMessage]])),
          },
        }),
      );
      Object.assign(this.messages.get(m.id) ?? m, patch);
      Object.assign(m, patch);
      return true;
    } catch (err) {
      if (isConditionFailed(err)) return false;
      throw err;
    }
  }

  private async delete(m: StoredMessage): Promise<void> {
    try {
      await this.options.doc.send(
        new DeleteCommand({
          TableName: this.options.tableName,
          Key: { id: m.id },
          ConditionExpression: '#receipt = :receipt',
          ExpressionAttributeNames: { '#receipt': 'receipt' },
          ExpressionAttributeValues: { ':receipt': m.receipt },
        }),
      );
      if (this.messages.get(m.id)?.receipt === m.receipt) {
        this.messages.delete(m.id);
        this.due.delete(m.id);
      }
    } catch (err) {
      // Received again after its visibility ran out: that delivery deletes it.
      if (!isConditionFailed(err)) throw err;
    }
  }
}

function toRecord(m: StoredMessage, queueName: string): SQSRecord {
  return {
    messageId: m.id,
    receiptHandle: m.receipt ?? '',
    body: m.body,
    attributes: {
      ApproximateReceiveCount: String(m.receiveCount),
      SentTimestamp: String(m.sentAt),
      SenderId: 'runlater-dev',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:local:000000000000:${queueName}`,
    awsRegion: 'local',
  };
}
