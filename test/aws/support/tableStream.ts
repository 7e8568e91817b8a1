import { DynamoDBClient, GetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { isDeepStrictEqual } from 'node:util';

type Write = { constructor: { name: string }; input: Record<string, unknown> };
const WRITES = new Set(['PutCommand', 'UpdateCommand', 'DeleteCommand']);

/**
 * A DynamoDB stream (NEW_AND_OLD_IMAGES) of one table, for dynalite, which has none: every write
 * the document client makes to the table is bracketed by consistent reads of its item, and a write
 * that changed the item becomes the record DynamoDB Streams would show (INSERT, MODIFY, REMOVE,
 * the item's images as stored). A write whose condition failed, or that changed nothing, makes
 * no record, as on AWS. Writes must not overlap in time (the flow tests make one at a time).
 */
export class TableStream {
  private records: DynamoDBRecord[] = [];
  private sequence = 0;
  private readonly raw: DynamoDBClient;

  constructor(
    private readonly tableName: string,
    endpoint: string,
    private readonly region: string,
    private readonly account = '123456789012',
  ) {
    this.raw = new DynamoDBClient({
      endpoint,
      region,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    });
  }

  /** Starts recording; returns the function that stops it. */
  attach(): () => void {
    const proto = DynamoDBDocumentClient.prototype as unknown as {
      send: (...a: unknown[]) => Promise<unknown>;
    };
    const inner = proto.send;
    const item = (key: Record<string, unknown>) => this.item(key);
    const note = this.note.bind(this);
    const tableName = this.tableName;
    proto.send = async function (this: unknown, command: unknown, ...rest: unknown[]) {
      const write = command as Write;
      if (!WRITES.has(write.constructor.name) || write.input.TableName !== tableName)
        return inner.call(this, command, ...rest);
      const key = (write.input.Key ?? { id: (write.input.Item as { id: string }).id }) as Record<
        string,
        unknown
      >;
      const before = await item(key);
      const out = await inner.call(this, command, ...rest);
      note(key, before, await item(key));
      return out;
    };
    return () => void (proto.send = inner);
  }

  /** The records made since the last take, as one event of the stream's Lambda trigger. */
  take(): DynamoDBStreamEvent {
    const Records = this.records;
    this.records = [];
    return { Records };
  }

  private async item(key: Record<string, unknown>) {
    const out = await this.raw.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshall(key), ConsistentRead: true }),
    );
    return out.Item;
  }

  private note(
    key: Record<string, unknown>,
    before: Record<string, AttributeValue> | undefined,
    after: Record<string, AttributeValue> | undefined,
  ): void {
    if (isDeepStrictEqual(before, after)) return;
    const eventName = !before ? 'INSERT' : !after ? 'REMOVE' : 'MODIFY';
    this.records.push({
      eventID: String(++this.sequence),
      eventName,
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: this.region,
      eventSourceARN: `arn:aws:dynamodb:${this.region}:${this.account}:table/${this.tableName}/stream/2026-11-26T00:00:00.000`,
      dynamodb: {
        Keys: marshall(key) as never,
        ...(before ? { OldImage: before as never } : {}),
        ...(after ? { NewImage: after as never } : {}),
        SequenceNumber: String(this.sequence).padStart(21, '0'),
        SizeBytes: 1,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    });
  }
}
