/**
 * Keys ordered by the time they are due (a binary min-heap). An entry is never removed in place:
 * `set` pushes the key's new time and `popDue` skips entries whose time is no longer the key's own,
 * so changing a key's time costs O(log n) and nothing ever walks the whole index.
 */
export class DueIndex {
  private readonly heap: { at: number; key: string }[] = [];
  private readonly current = new Map<string, number>();

  get size(): number {
    return this.current.size;
  }

  set(key: string, at: number): void {
    this.current.set(key, at);
    this.heap.push({ at, key });
    this.up(this.heap.length - 1);
  }

  has(key: string): boolean {
    return this.current.has(key);
  }

  delete(key: string): void {
    this.current.delete(key);
  }

  /** When the earliest key is due, or undefined when there is none. */
  nextAt(): number | undefined {
    this.dropStale();
    return this.heap[0]?.at;
  }

  /** Removes and returns the earliest key due at or before `now`. */
  popDue(now: number): string | undefined {
    this.dropStale();
    const top = this.heap[0];
    if (!top || top.at > now) return undefined;
    this.pop();
    this.current.delete(top.key);
    return top.key;
  }

  /** Counts keys due by `now` and after it (O(n): for status lines, not the hot path). */
  countDue(now: number): { due: number; later: number } {
    let due = 0;
    for (const at of this.current.values()) if (at <= now) due++;
    return { due, later: this.current.size - due };
  }

  private dropStale(): void {
    while (this.heap.length > 0 && this.current.get(this.heap[0]!.key) !== this.heap[0]!.at) this.pop();
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    for (let i = 0; ;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && h[l]!.at < h[m]!.at) m = l;
      if (r < h.length && h[r]!.at < h[m]!.at) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.at <= h[i]!.at) return;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }
}
