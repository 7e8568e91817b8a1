/**
 * Calls a handler the way Lambda does under concurrency: each instance handles one event at a
 * time (a handler may keep per-invocation state, as Powertools' BatchProcessor does), and a new
 * instance is made when all are busy. The caller bounds how many run at once.
 */
export function instancePool<E, R>(create: () => (event: E) => Promise<R>): (event: E) => Promise<R> {
  const idle: ((event: E) => Promise<R>)[] = [];
  return async (event) => {
    const instance = idle.pop() ?? create();
    try {
      return await instance(event);
    } finally {
      idle.push(instance);
    }
  };
}
