import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { startEmbeddedDynamo } from '../../local/embeddedDynamo.ts';

describe('the embedded DynamoDB, reached in-process', () => {
  it('answers as it does over its port: items, and a failed condition as ConditionalCheckFailedException', async () => {
    const dynamo = await startEmbeddedDynamo(undefined);
    const overTcp = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: dynamo.endpoint,
        region: 'local',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
    );
    try {
      const TableName = dynamo.tableNames.workers;
      const put = (doc: DynamoDBDocumentClient) =>
        doc.send(
          new PutCommand({
            TableName,
            Item: { name: 'w', image: 'busybox', env: { A: '1' } },
            ConditionExpression: 'attribute_not_exists(#n)',
            ExpressionAttributeNames: { '#n': 'name' },
          }),
        );
      await put(dynamo.doc);
      const failures = await Promise.all(
        [dynamo.doc, overTcp].map((doc) =>
          put(doc).then(
            () => undefined,
            (err: Error) => err.name,
          ),
        ),
      );
      assert.deepEqual(failures, ['ConditionalCheckFailedException', 'ConditionalCheckFailedException']);
      const reads = await Promise.all(
        [dynamo.doc, overTcp].map(
          async (doc) => (await doc.send(new GetCommand({ TableName, Key: { name: 'w' } }))).Item,
        ),
      );
      assert.deepEqual(reads[0], { name: 'w', image: 'busybox', env: { A: '1' } });
      assert.deepEqual(reads[0], reads[1]);
    } finally {
      overTcp.destroy();
      await dynamo.close();
    }
  });

  it('refuses calls once closed, as a closed port would, and throws nothing out of band', async () => {
    const dynamo = await startEmbeddedDynamo(undefined);
    await dynamo.close();
    await assert.rejects(
      dynamo.doc.send(new GetCommand({ TableName: dynamo.tableNames.workers, Key: { name: 'w' } })),
      /ECONNREFUSED/,
    );
  });
});
