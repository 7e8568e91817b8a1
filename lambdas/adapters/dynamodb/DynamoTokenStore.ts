import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TokenRecord, TokenStore } from '../../core/tokens.ts';
import { DynamoItems } from './DynamoItems.ts';

/** Token records, keyed by the token's sha256: the token itself is never stored. */
export class DynamoTokenStore implements TokenStore {
  private readonly items: DynamoItems<TokenRecord>;

  constructor(client: DynamoDBDocumentClient, tableName: string) {
    this.items = new DynamoItems<TokenRecord>(client, tableName, 'hash');
  }

  put(record: TokenRecord): Promise<void> {
    return this.items.put(record);
  }

  get(hash: string): Promise<TokenRecord | undefined> {
    return this.items.get(hash);
  }

  list(): Promise<TokenRecord[]> {
    return this.items.all();
  }

  async delete(hash: string): Promise<void> {
    await this.items.delete(hash);
  }
}
