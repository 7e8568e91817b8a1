// Apart from EcsTaskDefinitions.ts (which re-exports them), so the launcher names a family without
// loading the worker schemas: functions that only launch, describe or stop tasks stay lean.

/** Without a stack's prefix (tests, direct use). The stack sets `<stack name>_`: see RunLater.ts. */
export const DEFAULT_FAMILY_PREFIX = 'runlater-';

/**
 * A worker's task definition family. The prefix scopes it to one stack: two stacks in one account
 * and region never run each other's task definitions, and IAM names only this stack's families.
 */
export function familyFor(worker: string, prefix = DEFAULT_FAMILY_PREFIX): string {
  return `${prefix}${worker}`;
}
