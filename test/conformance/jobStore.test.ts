import { DynamoJobStore } from '../../lambdas/adapters/dynamodb/DynamoJobStore.ts';
import { startEmbeddedDynamo } from '../../local/embeddedDynamo.ts';
import { jobStoreConformance } from './suites/jobStoreSuite.ts';

// The one JobStore there is, on dynalite (the real DynamoDB API): the same code runs on AWS.
jobStoreConformance('DynamoJobStore on dynalite', async () => {
  const dynamo = await startEmbeddedDynamo(undefined);
  return {
    store: new DynamoJobStore(dynamo.doc, dynamo.tableNames.jobs),
    close: () => dynamo.close(),
  };
});
