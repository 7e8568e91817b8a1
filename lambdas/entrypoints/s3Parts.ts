import { S3Client } from '@aws-sdk/client-s3';
import { S3StdinStore } from '../adapters/s3/S3StdinStore.ts';
import type { StdinStore } from '../core/ports.ts';
import { lazyPort } from './lazy.ts';
import { region, type Trace } from './runtimeEnv.ts';

/** Stdin too large to travel inline, in S3: the client is made when a job first has some. */
export function s3StdinStore(bucket: string, source: NodeJS.ProcessEnv, t: Trace): StdinStore {
  return lazyPort<StdinStore>(
    ['put', 'copy', 'url', 'read', 'delete'],
    async () => new S3StdinStore(t(new S3Client(region(source))), bucket),
  );
}
