/**
 * Loading on first use, for what a function needs on some invocations only (the API's ECS, S3 or
 * CloudWatch Logs routes, a pipeline's log read in the dispatcher). The loader `import()`s its
 * adapter and SDK client: esbuild keeps them in the bundle but evaluates them only when the loader
 * first runs, so a cold start does not pay for clients its first requests never call.
 */

/** `load` run once, on the first call; a failed load is tried again on the next. */
export function lazy<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () =>
    (loading ??= load().catch((err: unknown) => {
      loading = undefined;
      throw err;
    }));
}

type AsyncMethods<T> = {
  [K in keyof T]-?: NonNullable<T[K]> extends (...args: never[]) => unknown ? K : never;
}[keyof T];

/**
 * A port whose adapter is built by `load` when one of `methods` is first called. Every method of
 * a port returns a promise, so the caller cannot tell the difference.
 *
 * @example
 * const logs = lazyPort<LogReader>(['read', 'deleteOutput'], async () => {
 *   const { CloudWatchLogReader } = await import('../adapters/cloudwatch/CloudWatchLogReader.ts');
 *   return new CloudWatchLogReader(new CloudWatchLogsClient({}), group);
 * });
 */
export function lazyPort<T extends object, K extends AsyncMethods<T> = AsyncMethods<T>>(
  methods: readonly K[],
  load: () => Promise<T>,
): Required<Pick<T, K>> {
  const port = lazy(load);
  return Object.fromEntries(
    methods.map((name) => [
      name,
      async (...args: unknown[]) => {
        const target = await port();
        return (target[name] as (...a: unknown[]) => unknown).apply(target, args);
      },
    ]),
  ) as Required<Pick<T, K>>;
}
