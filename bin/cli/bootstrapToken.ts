import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoTokenStore } from '../../lambdas/adapters/dynamodb/DynamoTokenStore.ts';
import { systemClock } from '../../lambdas/core/ports.ts';
import { TokenService } from '../../lambdas/core/TokenService.ts';

/**
 * The first admin token of a deployment: nobody can call the API before one exists, so the CLI
 * writes it to the tokens table itself, with the operator's own AWS credentials.
 */
export async function bootstrapToken(options: { table: string; region?: string; name: string }) {
  const client = new DynamoDBClient(options.region ? { region: options.region } : {});
  try {
    const store = new DynamoTokenStore(DynamoDBDocumentClient.from(client), options.table);
    return await new TokenService(store, systemClock).create({ name: options.name, scopes: ['admin'] });
  } finally {
    client.destroy();
  }
}
