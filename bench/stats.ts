/** One line of `npm run bench`: a figure, its baseline, and how they compare. */
export interface Row {
  figure: string;
  now: string;
  baseline: string;
  ratio: string;
  target?: string;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
}

/** Median of the ratios taken pair by pair (interleaved runs share the machine's mood). */
export function pairedRatio(now: number[], base: number[]): number {
  return median(now.map((n, i) => n / base[i]!));
}

export const ms = (n: number) => `${Math.round(n)} ms`;
export const x = (n: number) => `${n.toFixed(2)}×`;

export function printTable(rows: Row[]): void {
  const head: Row = { figure: 'figure', now: 'now', baseline: 'baseline', ratio: 'ratio', target: 'target' };
  const all = [head, ...rows];
  const width = (k: keyof Row) => Math.max(...all.map((r) => (r[k] ?? '').length));
  const line = (r: Row) =>
    `| ${(['figure', 'now', 'baseline', 'ratio', 'target'] as const).map((k) => (r[k] ?? '').padEnd(width(k))).join(' | ')} |`;
  console.log(line(head));
  console.log(
    `| ${(['figure', 'now', 'baseline', 'ratio', 'target'] as const).map((k) => '-'.repeat(width(k))).join(' | ')} |`,
  );
  for (const r of rows) console.log(line(r));
}
