import type { PacerTimers } from '../../lambdas/pacing/LaunchPacer.ts';

interface Timer {
  at: number;
  seq: number;
  wake: () => void;
}

/**
 * A virtual clock for running real async code in simulated time: `sleep` parks the caller on a
 * timer heap, and `run` lets every promise settle, then jumps to the next timer. Nothing here
 * waits in real time, so an hour of simulated launches takes a few seconds.
 */
export class VirtualTime implements PacerTimers {
  private current: number;
  private seq = 0;
  private readonly heap: Timer[] = [];

  constructor(start = Date.parse('2026-11-26T00:00:00Z')) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  /** A Clock for the domain core. */
  readonly clock = { now: () => new Date(this.current) };

  sleep(ms: number): Promise<void> {
    return new Promise((wake) => this.push({ at: this.current + Math.max(0, ms), seq: this.seq++, wake }));
  }

  /** Runs until no timer is left, `done()` holds, or virtual time passes `untilMs`. Bounded in steps. */
  async run(untilMs: number, done: () => boolean = () => false, maxSteps = 5_000_000): Promise<void> {
    for (let step = 0; step < maxSteps; step++) {
      await settle();
      if (done()) return;
      const next = this.pop();
      if (!next) return;
      if (next.at > untilMs) {
        this.push(next);
        return;
      }
      this.current = next.at;
      next.wake();
    }
    throw new Error(`simulation did not finish within ${maxSteps} steps`);
  }

  private push(t: Timer): void {
    const h = this.heap;
    h.push(t);
    for (let i = h.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): Timer | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** Every promise chain that can move without a timer has moved (microtasks drain before setImmediate). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A small seeded generator (mulberry32), so a simulation is the same every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
