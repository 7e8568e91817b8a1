import * as z from 'zod';
import { LIMITS } from '../../core/limits.ts';
import { WorkerName } from '../../core/schemas.ts';

/**
 * Path and header inputs, bounded so nothing unchecked reaches a store key (DynamoDB refuses key
 * values over 2,048 bytes, and that refusal would be a 500).
 */
export const NameParams = z.object({ name: WorkerName });

/** Job ids are ULIDs; any other string of sane length is simply an unknown job (404). */
export const JobIdParams = z.object({
  id: z
    .string()
    .min(1)
    .max(255)
    .meta({ description: 'Job id (a lower-case ULID)', example: '01kb2x7d3q9m4v8e6r5t0y1z2w' }),
});

/** `GET /v1/jobs/{id}`: the long-poll. */
export const GetJobQuery = z.strictObject({
  waitSeconds: z.coerce
    .number()
    .int()
    .min(0)
    .max(LIMITS.jobWaitSecondsMax)
    .default(0)
    .meta({
      description: `Long-poll: answer as soon as the job is final (at once if it is already), else after this many seconds (0-${LIMITS.jobWaitSecondsMax}) with the job as it is then. Default 0: at once`,
      example: 20,
    }),
});

export const TokenIdParams = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .meta({ description: 'Token id, as listed (the start of its hash)', example: '3f2a9c0d1e4b5a67' }),
});

export const IdempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, 'must be 1-255 visible ASCII characters')
    .optional()
    .meta({
      description: 'Same key and body return the same job (200); same key with another body is a 409',
      example: 'nightly-report-2026-11-26',
    }),
});
