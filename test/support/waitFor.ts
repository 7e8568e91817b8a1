export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** What is awaited, for the error at the deadline. */
  message?: string;
}

type Probe<T> = () => Promise<T | undefined | null | false> | T | undefined | null | false;

/**
 * Polls `probe` until it returns a value (anything but undefined, null or false) and returns it,
 * or fails once the deadline has passed. Two spellings: waitFor(probe, options) and the older
 * waitFor(what, probe, options).
 */
export async function waitFor<T>(probe: Probe<T>, options?: WaitOptions): Promise<T>;
export async function waitFor<T>(what: string, probe: Probe<T>, options?: WaitOptions): Promise<T>;
export async function waitFor<T>(
  first: string | Probe<T>,
  second?: Probe<T> | WaitOptions,
  third?: WaitOptions,
): Promise<T> {
  const probe = (typeof first === 'string' ? second : first) as Probe<T>;
  const options = (typeof first === 'string' ? third : (second as WaitOptions | undefined)) ?? {};
  const { timeoutMs = 30_000, intervalMs = 100 } = options;
  const what = typeof first === 'string' ? first : (options.message ?? 'a condition');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
