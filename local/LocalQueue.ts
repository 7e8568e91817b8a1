import { randomUUID } from 'node:crypto';
import {
  DeleteCommand,
  PutCommand,
  ScanCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { DispatchMessage } from '../lambdas/core/ports.ts';
import { isConditionFailed } from '../lambdas/adapters/dynamodb/conditionalWrite.ts';

export interface LocalQueueOptions {
  doc: DynamoDBDocumentClient;
  tableName: string;
  /** Receives batches shaped as SQS events and answers with partial batch failures, like Lambda. */
  consumer: (event: SQSEvent) => Promise<SQSBatchResponse | void>;
  visibilityTimeoutSeconds?: number;
  /** After this many receives a message goes to the dead-letter state (kept, never delivered). */
  maxReceiveCount?: number;
  batchSize?: number;
  pollIntervalMs?: number;
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

/**
 * A queue with the SQS semantics the dispatcher relies on: delays, a visibility timeout,
 * redelivery of failed records, a dead-letter state. Written here because no SQS emulator runs on
 * one machine without Java; it keeps its messages in the embedded DynamoDB, so a restart loses none.
 * It has one consumer (this process), so messages in flight when a previous process died are made
 * visible again at start instead of waiting out their timeout.
 */
/** `M` is the message type: dispatch messages, or webhook delivery messages for the second queue. */
export class LocalQueue<M = DispatchMessage> {
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private wakeup = false;
  private stopped = true;
  private readonly visibilityMs: number;
  private readonly maxReceiveCount: number;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;

  constructor(private readonly options: LocalQueueOptions) {
    this.visibilityMs = (options.visibilityTimeoutSeconds ?? 60) * 1000;
    this.maxReceiveCount = options.maxReceiveCount ?? 50;
    this.batchSize = options.batchSize ?? 10;
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
  }

  async send(message: M, delaySeconds: number): Promise<void> {
    const now = Date.now();
    const item: StoredMessage = {
      id: randomUUID(),
      body: JSON.stringify(message),
      sentAt: now,
      visibleAt: now + Math.max(0, delaySeconds) * 1000,
      receiveCount: 0,
    };
    await this.options.doc.send(new PutCommand({ TableName: this.options.tableName, Item: item }));
    if (delaySeconds <= 0) this.poke();
  }

  async start(): Promise<void> {
    this.stopped = false;
    const inFlight = (await this.scan()).filter((m) => m.receipt && !m.dead);
    for (const m of inFlight) await this.setVisibility(m, Date.now(), m.receipt!);
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.polling;
  }

  /** Counts of messages by state, for tests and `runlater dev`'s status line. */
  async depth(): Promise<{ visible: number; delayedOrInFlight: number; dead: number }> {
    const now = Date.now();
    const all = await this.scan();
    return {
      visible: all.filter((m) => !m.dead && m.visibleAt <= now).length,
      delayedOrInFlight: all.filter((m) => !m.dead && m.visibleAt > now).length,
      dead: all.filter((m) => m.dead).length,
    };
  }

  private poke(): void {
    if (this.stopped) return;
    if (this.polling) this.wakeup = true;
    else this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.polling = this.pollOnce()
        .catch((err) => console.error('local queue: poll failed:', err))
        .finally(() => {
          this.polling = undefined;
          const again = this.wakeup;
          this.wakeup = false;
          this.schedule(again ? 0 : this.pollIntervalMs);
        });
    }, ms);
  }

  private async pollOnce(): Promise<void> {
    for (let rounds = 0; rounds < 100 && !this.stopped; rounds++) {
      const batch = await this.receive();
      if (batch.length === 0) return;
      const event: SQSEvent = { Records: batch.map((m) => toRecord(m, this.options.tableName)) };
      let failed = new Set<string>();
      try {
        const response = await this.options.consumer(event);
        failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
      } catch (err) {
        // A consumer that throws fails the whole batch, as with Lambda.
        console.error('local queue: consumer failed:', err);
        failed = new Set(batch.map((m) => m.id));
      }
      for (const m of batch) if (!failed.has(m.id)) await this.delete(m);
    }
  }

  private async receive(): Promise<StoredMessage[]> {
    const now = Date.now();
    const ready = (await this.scan())
      .filter((m) => !m.dead && m.visibleAt <= now)
      .sort((a, b) => a.visibleAt - b.visibleAt || a.sentAt - b.sentAt);
    const claimed: StoredMessage[] = [];
    for (const m of ready) {
      if (claimed.length >= this.batchSize) break;
      if (m.receiveCount >= this.maxReceiveCount) {
        await this.update(m, { dead: true });
        console.error(
          `local queue: message ${m.id} moved to the dead-letter state after ${m.receiveCount} receives`,
        );
        continue;
      }
      const receipt = randomUUID();
      if (
        await this.update(m, {
          visibleAt: now + this.visibilityMs,
          receipt,
          receiveCount: m.receiveCount + 1,
        })
      )
        claimed.push({ ...m, receipt, receiveCount: m.receiveCount + 1 });
    }
    return claimed;
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

  /** Conditional on the message being as we read it, so two pollers could never both claim it. */
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
      return true;
    } catch (err) {
      if (isConditionFailed(err)) return false;
      throw err;
    }
  }

  private async setVisibility(m: StoredMessage, visibleAt: number, receipt: string): Promise<void> {
    await this.update(m, { visibleAt, receipt });
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
    } catch (err) {
      // Received again by someone else after its visibility ran out: theirs to delete now.
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
