import { Logger } from '@aws-lambda-powertools/logger';
import * as z from 'zod';
import { JobService } from '../core/JobService.ts';
import { ScheduleService } from '../core/ScheduleService.ts';
import { withJobMetrics } from './jobMetrics.ts';
import type { Runtime } from './runtime.ts';

/** What schedule runs use: lambdas/entrypoints/scheduleFireRuntime.ts builds exactly this on AWS. */
export type ScheduleFireRuntime = Pick<
  Runtime,
  'jobs' | 'workers' | 'schedules' | 'queue' | 'stdin' | 'clock' | 'observer' | 'deliveryQueue'
>;

/** A port a schedule run has no use for: calling it is a bug, said loudly. */
const unused = <T extends object>(port: string): T =>
  new Proxy({} as T, {
    get: (_, method) => () => Promise.reject(new Error(`schedule runs do not use ${port}.${String(method)}`)),
  });

/** What the trigger sends: EventBridge Scheduler fills in `<aws.scheduler.scheduled-time>`. */
export const ScheduleFireEvent = z.object({
  schedule: z.string(),
  scheduledTime: z.iso.datetime({ offset: true }),
});
export type ScheduleFireEvent = z.infer<typeof ScheduleFireEvent>;

/** Fires one run of a schedule: queues its job (once per scheduled time). */
export function makeScheduleFireHandler(
  runtime: ScheduleFireRuntime,
  logger = new Logger({ serviceName: 'runlater-schedules' }),
) {
  // A run only queues a job: it launches, reads logs and changes triggers never.
  const schedules = new ScheduleService({
    ...runtime,
    trigger: unused('trigger'),
    jobs: new JobService(withJobMetrics({ ...runtime, launcher: unused('launcher'), logs: unused('logs') })),
  });
  return async (event: unknown) => {
    const { schedule, scheduledTime } = ScheduleFireEvent.parse(event);
    const result = await schedules.fire(schedule, new Date(scheduledTime));
    logger.info('schedule fired', { schedule, scheduledTime, ...result });
    return result;
  };
}
