/**
 * The runner's timers, all cleared by close(): retries (fire and forget) and one deadline per task
 * (a task's timeout, cancelled when its container exits first). Errors are logged: a timer has
 * nobody to throw to.
 */
export class Timers {
  private readonly retries = new Set<NodeJS.Timeout>();
  private readonly deadlines = new Map<string, NodeJS.Timeout>();
  private closed = false;

  later(ms: number, fn: () => unknown): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.retries.delete(timer);
      run(fn);
    }, ms);
    this.retries.add(timer);
  }

  /** Arms `key`'s deadline unless it is armed already. */
  deadline(key: string, ms: number, fn: () => unknown): void {
    if (this.closed || this.deadlines.has(key)) return;
    const timer = setTimeout(
      () => {
        this.deadlines.delete(key);
        run(fn);
      },
      Math.max(0, ms),
    );
    this.deadlines.set(key, timer);
  }

  cancelDeadline(key: string): void {
    clearTimeout(this.deadlines.get(key));
    this.deadlines.delete(key);
  }

  close(): void {
    this.closed = true;
    for (const timer of [...this.retries, ...this.deadlines.values()]) clearTimeout(timer);
    this.retries.clear();
    this.deadlines.clear();
  }
}

function run(fn: () => unknown): void {
  Promise.resolve()
    .then(fn)
    .catch((err: unknown) => console.error('runner:', err instanceof Error ? err.message : err));
}
