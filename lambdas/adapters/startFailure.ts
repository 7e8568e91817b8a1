import { TaskStopCause } from '../core/ports.ts';

/**
 * Registry answers that say the image itself is wrong, or that the credentials are (missing or
 * refused: the worker's to fix): they will not pass by waiting. Both
 * runners see them in their pull errors (ECS as CannotPullContainerError, Docker from its daemon).
 */
const PERMANENT_PULL_FAILURE =
  /not found|manifest unknown|pull access denied|repository does not exist|invalid reference|unauthorized|no basic auth credentials|authentication required/i;

/** Whether a task whose image could not be pulled failed for the job's sake or the infrastructure's. */
export function pullFailureCause(reason: string): TaskStopCause {
  return PERMANENT_PULL_FAILURE.test(reason) ? TaskStopCause.StartFailed : TaskStopCause.Infrastructure;
}
