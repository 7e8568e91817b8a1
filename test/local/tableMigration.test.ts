import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  DeleteTableCommand,
  DescribeTableCommand,
  waitUntilTableNotExists,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { JOB_INDEX, TABLES } from '../../lambdas/adapters/dynamodb/tables.ts';
import { ensureTable, startEmbeddedDynamo } from '../../local/embeddedDynamo.ts';

describe('a data dir made by an older runlater dev', () => {
  const dirs: string[] = [];
  after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  /** Drops a table and waits until it is gone (dynalite, like DynamoDB, deletes in the background). */
  async function drop(client: DynamoDBClient, table: string) {
    await client.send(new DeleteTableCommand({ TableName: table }));
    await waitUntilTableNotExists(
      { client, minDelay: 1, maxDelay: 1, maxWaitTime: 30 },
      { TableName: table },
    );
  }

  async function dataDir() {
    const dir = await mkdtemp(join(tmpdir(), 'runlater-migrate-'));
    dirs.push(dir);
    return join(dir, 'db');
  }

  it('gets the jobs indexes it lacks, with every item kept', async () => {
    const path = await dataDir();
    let dynamo = await startEmbeddedDynamo(path);
    const table = dynamo.tableNames.jobs;
    // The jobs table as older versions made it: without the byWorkerState and byParentState indexes.
    await drop(dynamo.client, table);
    const added: string[] = [JOB_INDEX.byWorkerState, JOB_INDEX.byParentState];
    const old = { ...TABLES.jobs, indexes: TABLES.jobs.indexes.filter((i) => !added.includes(i.name)) };
    await ensureTable(dynamo.client, table, old);
    await dynamo.doc.send(
      new PutCommand({ TableName: table, Item: { id: 'old-job', kind: 'job', status: 'succeeded' } }),
    );
    await dynamo.close();

    dynamo = await startEmbeddedDynamo(path);
    try {
      const out = await dynamo.client.send(new DescribeTableCommand({ TableName: table }));
      for (const name of added)
        assert.ok(
          out.Table?.GlobalSecondaryIndexes?.some((i) => i.IndexName === name),
          name,
        );
      const kept = await dynamo.doc.send(new GetCommand({ TableName: table, Key: { id: 'old-job' } }));
      assert.equal(kept.Item?.status, 'succeeded');
      assert.equal(existsSync(`${path}-rebuild-${table}.json`), false);
    } finally {
      await dynamo.close();
    }
  });

  it('finishes a rebuild that a crash interrupted after the table was dropped', async () => {
    const path = await dataDir();
    let dynamo = await startEmbeddedDynamo(path);
    const table = dynamo.tableNames.jobs;
    await drop(dynamo.client, table);
    await dynamo.close();
    const backup = `${path}-rebuild-${table}.json`;
    await writeFile(backup, JSON.stringify([{ id: { S: 'saved-job' }, kind: { S: 'job' } }]));

    dynamo = await startEmbeddedDynamo(path);
    try {
      const kept = await dynamo.doc.send(new GetCommand({ TableName: table, Key: { id: 'saved-job' } }));
      assert.equal(kept.Item?.kind, 'job');
      assert.equal(existsSync(backup), false);
    } finally {
      await dynamo.close();
    }
  });
});
