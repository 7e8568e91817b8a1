import * as z from 'zod';
import { JOB_STATUSES } from './jobStatus.ts';
import { LIMITS } from './limits.ts';

const MAX_ARRAY_SIZE = LIMITS.maxArraySize;

/** `array` of a create request: N children, or one per line of stdin (see arrays.ts, splitLines). */
export const ArraySpec = z
  .strictObject({
    size: z
      .number()
      .int()
      .min(1)
      .max(MAX_ARRAY_SIZE)
      .optional()
      .meta({ description: `Children to make, 1 to ${MAX_ARRAY_SIZE}; each gets the whole stdin` }),
    split: z.enum(['lines']).optional().meta({
      description:
        'One child per line of stdin (a line keeps its newline; the last line may have none): child i gets line i as its stdin',
    }),
  })
  .refine((a) => (a.size === undefined) !== (a.split === undefined), {
    message: 'give one of array.size or array.split',
    path: ['size'],
  })
  .meta({
    id: 'ArraySpec',
    description:
      'Makes this job the parent of an array: each child runs with RUNLATER_ARRAY_INDEX (0-based) and RUNLATER_ARRAY_SIZE',
    examples: [{ size: 100 }, { split: 'lines' }],
  });

const ChildCountsSchema = z
  .object(
    Object.fromEntries(JOB_STATUSES.map((s) => [s, z.number().int()])) as Record<
      (typeof JOB_STATUSES)[number],
      z.ZodNumber
    >,
  )
  .meta({ id: 'ChildCounts', description: 'Children in each state (children not made yet count as queued)' });

/** What a parent shows of its array. */
export const ArrayView = z
  .object({
    size: z.number().int(),
    split: z.enum(['lines']).optional(),
    created: z.number().int().meta({ description: 'Children made so far (they are made in chunks)' }),
    counts: ChildCountsSchema.optional().meta({ description: 'Only in GET /v1/jobs/{id}' }),
  })
  .meta({ id: 'ArrayView' });
