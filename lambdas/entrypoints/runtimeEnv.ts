import { FUNCTION_ENV, type FunctionEnvVar, type FunctionName } from './functionEnv.ts';

// What every runtime factory starts from, with no SDK import: a function that needs no DynamoDB
// (jobEvents) imports this alone.

export type Env<F extends FunctionName> = (name: FunctionEnvVar<F>) => string;

/**
 * The declared variables of one function; all of them must be set (the stack sets them all). A
 * factory sees no other variable, so what the stack sets and what the code reads cannot drift apart.
 */
export function envOf<F extends FunctionName>(fn: F, source: NodeJS.ProcessEnv = process.env): Env<F> {
  const missing = FUNCTION_ENV[fn].filter((name) => !source[name]);
  if (missing.length > 0)
    throw new Error(`runlater ${fn}: environment variable(s) ${missing.join(', ')} not set`);
  return (name) => source[name]!;
}

/** How the entry points instrument what the factories build: each SDK client traced (X-Ray). */
export interface RuntimeOptions {
  traceClient?: Trace;
}
export type Trace = <T>(client: T) => T;
export const untraced: Trace = (client) => client;

/** The region Lambda runs in (AWS_REGION is Lambda's own, always set there). */
export const region = (source: NodeJS.ProcessEnv) => ({ region: source.AWS_REGION ?? 'us-east-1' });
