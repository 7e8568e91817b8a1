import { ValidationError } from './errors.ts';

const range = (min: number, max: number, step: number) =>
  Array.from({ length: (max - min) / step + 1 }, (_, i) => min + i * step);

/**
 * The memory (MiB) Fargate accepts with each CPU value for Linux tasks (the ECS task size table).
 * ECS refuses any other pair when the task definition is registered; checking here turns that
 * into a 400 naming `memory`, in both modes, so a worker that runs locally also registers on AWS.
 */
export const FARGATE_MEMORY: Record<number, number[]> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};

/** Throws a ValidationError naming `memory` (or `cpu`) unless Fargate runs `cpu` with `memory`. */
export function checkFargateSize(cpu: number, memory: number): void {
  const allowed = FARGATE_MEMORY[cpu];
  if (!allowed) throw new ValidationError(`Fargate has no cpu ${cpu}`, 'cpu');
  if (allowed.includes(memory)) return;
  const list =
    allowed.length <= 4
      ? allowed.join(', ')
      : `${allowed[0]} to ${allowed.at(-1)} in steps of ${allowed[1]! - allowed[0]!}`;
  throw new ValidationError(`Fargate runs cpu ${cpu} with memory ${list} MiB, not ${memory}`, 'memory');
}

/** The least memory Fargate gives `cpu`: the default when a worker names a cpu and no memory. */
export function leastMemoryFor(cpu: number): number | undefined {
  return FARGATE_MEMORY[cpu]?.[0];
}
