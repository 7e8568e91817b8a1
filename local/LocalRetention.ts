import { DeleteCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { JOB_INDEX } from '../lambdas/adapters/dynamodb/tables.ts';
import { removeTaskOutput } from '../lambdas/adapters/local/LocalLogReader.ts';
import { FINAL_STATUSES } from '../lambdas/core/jobStatus.ts';
import type { StdinStore, StoredJob } from '../lambdas/core/ports.ts';

/**
 * DynamoDB deletes expired jobs by TTL; dynalite does not, so on one machine this sweep does, with
 * the job's output and stdin files. It runs with the reconciler.
 */
export class LocalRetention {
  constructor(
    private readonly options: {
      doc: DynamoDBDocumentClient;
      tableName: string;
      dataDir: string;
      stdin: StdinStore;
    },
  ) {}

  /**
   * Reads only finished jobs (the status index, one query per final status), so the work is
   * proportional to the finished jobs kept, not to every job stored: thousands of delayed jobs
   * cost a sweep nothing.
   */
  async sweep(now = Date.now()): Promise<number> {
    let deleted = 0;
    for (const status of FINAL_STATUSES) {
      let start: Record<string, unknown> | undefined;
      do {
        const page = await this.options.doc.send(
          new QueryCommand({
            TableName: this.options.tableName,
            IndexName: JOB_INDEX.byStatus,
            KeyConditionExpression: '#status = :status',
            FilterExpression: '#expiresAt < :now',
            ExpressionAttributeNames: { '#status': 'status', '#expiresAt': 'expiresAt' },
            ExpressionAttributeValues: { ':status': status, ':now': Math.floor(now / 1000) },
            ExclusiveStartKey: start,
          }),
        );
        for (const item of page.Items ?? []) {
          await this.remove(item as StoredJob & { expiresAt: number });
          deleted++;
        }
        start = page.LastEvaluatedKey;
      } while (start);
    }
    return deleted;
  }

  private async remove(job: StoredJob): Promise<void> {
    // Files first: if we stop half way, the job is still there to be swept again.
    for (const attempt of job.attempts ?? []) {
      if (!attempt.taskId) continue;
      await removeTaskOutput(this.options.dataDir, attempt.taskId);
    }
    if (job.stdin && 'blobKey' in job.stdin) await this.options.stdin.delete(job.stdin.blobKey);
    await this.options.doc.send(
      new DeleteCommand({ TableName: this.options.tableName, Key: { id: job.id } }),
    );
  }
}
