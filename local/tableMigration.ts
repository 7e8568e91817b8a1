import { existsSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import {
  BatchWriteItemCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  ScanCommand,
  waitUntilTableNotExists,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';

type Item = Record<string, AttributeValue>;

/**
 * Gives a table of an older `runlater dev` data dir the indexes it now needs. dynalite cannot add
 * an index to a table (DynamoDB can, and CloudFormation does it on AWS), so the table is rebuilt:
 * its items are saved to `backupFile` first, the table dropped and `create`d anew, and the items
 * put back. A crash at any step is taken up on the next start by `resumeRebuild`: no item is lost.
 */
export async function rebuildTable(
  client: DynamoDBClient,
  tableName: string,
  backupFile: string,
  create: () => Promise<void>,
): Promise<void> {
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const out = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  await writeFile(`${backupFile}.tmp`, JSON.stringify(items));
  await rename(`${backupFile}.tmp`, backupFile);
  await client.send(new DeleteTableCommand({ TableName: tableName }));
  await waitUntilTableNotExists(
    { client, minDelay: 1, maxDelay: 2, maxWaitTime: 30 },
    { TableName: tableName },
  );
  await create();
  await restore(client, tableName, backupFile);
}

/** Finishes a rebuild a crash interrupted: the table exists again (`ensure`), its items go back. */
export async function resumeRebuild(
  client: DynamoDBClient,
  tableName: string,
  backupFile: string,
  ensure: () => Promise<void>,
): Promise<void> {
  if (!existsSync(backupFile)) return;
  // A crash right after the drop may leave the table still being deleted: let that finish first.
  const status = await client
    .send(new DescribeTableCommand({ TableName: tableName }))
    .then((out) => out.Table?.TableStatus)
    .catch(() => undefined);
  if (status === 'DELETING')
    await waitUntilTableNotExists(
      { client, minDelay: 1, maxDelay: 2, maxWaitTime: 30 },
      { TableName: tableName },
    );
  await ensure();
  await restore(client, tableName, backupFile);
}

async function restore(client: DynamoDBClient, tableName: string, backupFile: string): Promise<void> {
  const items = JSON.parse(await readFile(backupFile, 'utf8')) as Item[];
  // Puts are idempotent, so restoring twice after a crash is harmless.
  for (let from = 0; from < items.length; from += 25) {
    let requests = items.slice(from, from + 25).map((Item) => ({ PutRequest: { Item } }));
    for (let tries = 0; requests.length > 0; tries++) {
      if (tries === 10) throw new Error(`could not restore the items of ${tableName} from ${backupFile}`);
      const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: requests } }));
      requests = (out.UnprocessedItems?.[tableName] ?? []) as typeof requests;
    }
  }
  await rm(backupFile);
}
