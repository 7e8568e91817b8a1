import { bundleRows } from './bundles.ts';
import { initImageRows } from './initImage.ts';
import { devServerLoadRows, localJobRows } from './local.ts';
import { postStepRows } from './postSteps.ts';
import { simulationRows } from './simulation.ts';
import { printTable, type Row } from './stats.ts';

/**
 * `npm run bench`: every figure of issue 11 beside its baseline. Public tools only (node, docker),
 * 127.0.0.1 only, every loop bounded. Sections: `npm run bench -- sim bundles image local load steps`
 * (default all); BENCH_PAIRS sets the interleaved pairs of the local figures (default 7).
 */
const sections: Record<string, () => Promise<Row[]>> = {
  sim: simulationRows,
  image: initImageRows,
  bundles: bundleRows,
  local: () => localJobRows(Number(process.env.BENCH_PAIRS ?? 7), Number(process.env.BENCH_PORT ?? 18_781)),
  load: () => devServerLoadRows(18_782, 10_000, Number(process.env.BENCH_IDLE_SECONDS ?? 60)),
  steps: () => postStepRows(18_783),
};

const wanted = process.argv.slice(2).filter((a) => a in sections);
const rows: Row[] = [];
for (const name of wanted.length ? wanted : Object.keys(sections)) {
  const t = Date.now();
  try {
    rows.push(...(await sections[name]!()));
  } catch (err) {
    rows.push({ figure: name, now: `FAILED: ${(err as Error).message}`, baseline: '', ratio: '' });
  }
  console.error(`bench: ${name} took ${((Date.now() - t) / 1000).toFixed(0)} s`);
}
printTable(rows);
