import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TABLES, type TableDefinition } from '../lambdas/adapters/dynamodb/tables.ts';
import { InProcessHttpHandler } from './InProcessHttpHandler.ts';
import { rebuildTable, resumeRebuild } from './tableMigration.ts';

const require = createRequire(import.meta.url);
const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;

export interface EmbeddedDynamo {
  endpoint: string;
  client: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  tableNames: Record<TableDefinition['name'], string>;
  close(): Promise<void>;
}

/**
 * dynalite serves the real DynamoDB API from LevelDB files on disk, so the production data layer
 * runs unchanged on one machine. It listens on loopback only, on a free port, for other processes
 * (tests point AWS entrypoints at `endpoint`); the clients made here reach it in-process.
 */
export async function startEmbeddedDynamo(path: string | undefined): Promise<EmbeddedDynamo> {
  const server = dynalite({
    ...(path ? { path } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const inProcess = new InProcessHttpHandler(server.listeners('request')[0] as never);
  const client = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
    // The same requests and answers as over `endpoint`, without a socket: see InProcessHttpHandler.
    requestHandler: inProcess,
  });
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const tableNames = {
    workers: 'runlater-workers',
    jobs: 'runlater-jobs',
    tokens: 'runlater-tokens',
    schedules: 'runlater-schedules',
  };
  const close = async () => {
    inProcess.close();
    client.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  try {
    for (const def of Object.values(TABLES)) {
      const table = tableNames[def.name];
      const backup = path ? `${path}-rebuild-${table}.json` : undefined;
      if (backup) await resumeRebuild(client, table, backup, () => ensureTable(client, table, def));
      await ensureTable(client, table, def, backup);
    }
  } catch (err) {
    // Nothing would close the server otherwise, and it would keep the process alive.
    await close();
    throw err;
  }
  return { endpoint, client, doc, tableNames, close };
}

/**
 * Creates the table if it is missing. With `backupFile`, a table that lacks an index of `def`
 * (made by an older runlater) is rebuilt with it, its items kept (tableMigration.ts).
 */
export async function ensureTable(
  client: DynamoDBClient,
  tableName: string,
  def: Omit<TableDefinition, 'name'>,
  backupFile?: string,
): Promise<void> {
  const existing = await client.send(new DescribeTableCommand({ TableName: tableName })).catch((err) => {
    if (!(err instanceof ResourceNotFoundException) && (err as Error).name !== 'ResourceNotFoundException')
      throw err;
    return undefined;
  });
  if (existing) {
    const has = new Set((existing.Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName));
    if (backupFile && def.indexes.some((i) => !has.has(i.name)))
      await rebuildTable(client, tableName, backupFile, () => ensureTable(client, tableName, def));
    return;
  }
  const attributes = new Set([def.partitionKey, ...def.indexes.flatMap((i) => [i.partitionKey, i.sortKey])]);
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [...attributes].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
      KeySchema: [{ AttributeName: def.partitionKey, KeyType: 'HASH' }],
      ...(def.indexes.length
        ? {
            GlobalSecondaryIndexes: def.indexes.map((i) => ({
              IndexName: i.name,
              KeySchema: [
                { AttributeName: i.partitionKey, KeyType: 'HASH' },
                { AttributeName: i.sortKey, KeyType: 'RANGE' },
              ],
              Projection: { ProjectionType: 'ALL' },
            })),
          }
        : {}),
    }),
  );
  // As on AWS, a new table is CREATING for a moment (dynalite too, even with createTableMs 0), and
  // until it is ACTIVE every call on it answers ResourceNotFoundException.
  await waitUntilTableExists({ client, minDelay: 1, maxDelay: 2, maxWaitTime: 30 }, { TableName: tableName });
}
