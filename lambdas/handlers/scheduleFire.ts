import { Logger } from '@aws-lambda-powertools/logger';
import { z } from 'zod';
import { JobService } from '../core/JobService.ts';
import { ScheduleService } from '../core/ScheduleService.ts';
import { withJobMetrics } from './jobMetrics.ts';
import type { Runtime } from './runtime.ts';

/** What the trigger sends: EventBridge Scheduler fills in `<aws.scheduler.scheduled-time>`. */
export const ScheduleFireEvent = z.object({
  schedule: z.string(),
  scheduledTime: z.iso.datetime({ offset: true }),
});
export type ScheduleFireEvent = z.infer<typeof ScheduleFireEvent>;

/** Fires one run of a schedule: queues its job (once per scheduled time). */
export function makeScheduleFireHandler(
  runtime: Runtime,
  logger = new Logger({ serviceName: 'runlater-schedules' }),
) {
  const schedules = new ScheduleService({
    ...runtime,
    trigger: runtime.scheduleTrigger,
    jobs: new JobService(withJobMetrics(runtime)),
  });
  return async (event: unknown) => {
    const { schedule, scheduledTime } = ScheduleFireEvent.parse(event);
    const result = await schedules.fire(schedule, new Date(scheduledTime));
    logger.info('schedule fired', { schedule, scheduledTime, ...result });
    return result;
  };
}
