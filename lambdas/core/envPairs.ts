/**
 * An env as the list of {name, value} pairs that ECS task definitions and overrides take. Apart
 * from schemas.ts (which measures the override with it) so the ECS launcher can use it without
 * loading every schema: the reconciler's bundle then carries no zod and no cron parser.
 */
export function envPairs(env: Record<string, string>): { name: string; value: string }[] {
  return Object.entries(env).map(([name, value]) => ({ name, value }));
}
