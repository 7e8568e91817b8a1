import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  ScanCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { TokenRecord, TokenStore } from '../../core/tokens.ts';

export class DynamoTokenStore implements TokenStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(record: TokenRecord): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: record }));
  }

  async get(hash: string): Promise<TokenRecord | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { hash } }));
    return out.Item as TokenRecord | undefined;
  }

  async list(): Promise<TokenRecord[]> {
    const records: TokenRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new ScanCommand({ TableName: this.tableName, ExclusiveStartKey: start }),
      );
      records.push(...((page.Items ?? []) as TokenRecord[]));
      start = page.LastEvaluatedKey;
    } while (start);
    return records;
  }

  async delete(hash: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: { hash } }));
  }
}
