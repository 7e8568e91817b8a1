import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { GoneError } from '../../core/errors.ts';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { StdinStore } from '../../core/ports.ts';

/**
 * Large stdin in S3. The task's init container fetches it with a presigned URL, so the job's own
 * task role needs no S3 permission at all.
 */
export class S3StdinStore implements StdinStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly urlExpiresInSeconds = 3600,
  ) {}

  async put(jobId: string, bytes: Uint8Array): Promise<string> {
    const key = `stdin/${jobId}`;
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: bytes,
        ContentType: 'application/octet-stream',
        ServerSideEncryption: 'AES256',
      }),
    );
    return key;
  }

  async copy(fromKey: string, toJobId: string): Promise<string> {
    const key = `stdin/${toJobId}`;
    try {
      await this.client.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: key,
          CopySource: `${this.bucket}/${fromKey}`,
          ServerSideEncryption: 'AES256',
        }),
      );
    } catch (err) {
      // The bucket's lifecycle rule removed it (10 days after upload).
      if ((err as Error).name === 'NoSuchKey')
        throw new GoneError('the stdin of the job to re-run is gone (removed by retention)');
      throw err;
    }
    return key;
  }

  url(key: string): Promise<string> {
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), {
      expiresIn: this.urlExpiresInSeconds,
    });
  }

  async read(key: string): Promise<Uint8Array> {
    const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    if (!out.Body) throw new Error(`s3://${this.bucket}/${key} has no body`);
    return out.Body.transformToByteArray();
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }
}
