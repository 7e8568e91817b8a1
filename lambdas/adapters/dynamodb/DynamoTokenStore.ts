import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
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

  async delete(hash: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: { hash } }));
  }
}
