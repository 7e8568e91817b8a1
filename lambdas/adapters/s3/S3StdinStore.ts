import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
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

  url(key: string): Promise<string> {
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), {
      expiresIn: this.urlExpiresInSeconds,
    });
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }
}
