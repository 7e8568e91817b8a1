import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { App } from 'aws-cdk-lib';
import { RunLaterStack } from '../lib/RunLaterStack.ts';
import { median, ms, x, type Row } from './stats.ts';

const run = promisify(execFile);
const RUNS = 10;

interface Fn {
  name: string;
  file: string;
  env: Record<string, string>;
}

/** Synthesizes the stack with bundling on (offline, esbuild locally) and finds each function's bundle and env. */
async function synthesizedFunctions(outdir: string): Promise<Fn[]> {
  const app = new App({ outdir });
  const stack = new RunLaterStack(app, 'RunLaterBench', {
    env: { account: '123456789012', region: 'eu-west-1' },
  });
  const assembly = app.synth();
  const template = assembly.getStackByName(stack.stackName).template as {
    Resources: Record<string, { Type: string; Properties: any }>;
  };
  const fns: Fn[] = [];
  for (const [id, r] of Object.entries(template.Resources)) {
    const key = r.Properties?.Code?.S3Key;
    if (r.Type !== 'AWS::Lambda::Function' || typeof key !== 'string') continue;
    // Intrinsics (Ref, Fn::GetAtt) stand for names and ARNs: a string of the same kind will do.
    const env = Object.fromEntries(
      Object.entries((r.Properties.Environment?.Variables ?? {}) as Record<string, unknown>).map(([k, v]) => [
        k,
        typeof v === 'string' ? v : `arn:aws:bench:eu-west-1:123456789012:${k.toLowerCase()}`,
      ]),
    );
    const name = /^(?:RunLater)?(\w+?)Function[0-9A-F]{8}$/.exec(id)?.[1] ?? id;
    fns.push({ name, file: join(outdir, `asset.${key.replace(/\.zip$/, '')}`, 'index.mjs'), env });
  }
  return fns;
}

/** CPU (user + system) a fresh Node spends importing `file`: a Lambda cold start's init phase, less the runtime's own. */
async function initCpuMs(file: string, env: Record<string, string>): Promise<number> {
  const script = `const t=process.cpuUsage();await import(${JSON.stringify(pathToFileURL(file).href)});const u=process.cpuUsage(t);console.log((u.user+u.system)/1000)`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    env: {
      PATH: process.env.PATH ?? '',
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'x',
      ...env,
    },
    timeout: 60_000,
  });
  return Number(stdout.trim().split('\n').at(-1));
}

/** The issue's figures (issue 11, measured on main before the per-function bundles): 1.7 MB, 294–327 ms. */
const ISSUE = { kb: 1700, initMs: 294 };
/** Half of the issue's figures, measured here (issue 11, point 2). */
const TARGET = { kb: 850, initMs: 150 };

/**
 * Point 2: each function's bundle size and cold-init CPU with its template env (median of 10),
 * beside the issue's figures as ratios (init against the low end of its range, 294 ms), and the API
 * once more as the `sourceMaps` prop would run it (NODE_OPTIONS=--enable-source-maps).
 */
export async function bundleRows(): Promise<Row[]> {
  const outdir = await mkdtemp(join(tmpdir(), 'runlater-bench-cdk-'));
  try {
    const synthesized = await synthesizedFunctions(outdir);
    const api = synthesized.find((f) => f.name === 'Api');
    const fns = [
      ...synthesized,
      ...(api
        ? [
            {
              ...api,
              name: 'Api, sourceMaps: true',
              env: { ...api.env, NODE_OPTIONS: '--enable-source-maps' },
            },
          ]
        : []),
    ];
    const oneLiner = join(outdir, 'one-line.mjs');
    await writeFile(oneLiner, 'export const handler = async () => 1;\n');
    const cpu = new Map<string, number[]>(fns.map((f) => [f.name, []]));
    const base: number[] = [];
    const failures = new Map<string, string>();
    for (let i = 0; i < RUNS; i++) {
      base.push(await initCpuMs(oneLiner, {}));
      for (const f of fns) {
        if (failures.has(f.name)) continue;
        try {
          cpu.get(f.name)!.push(await initCpuMs(f.file, f.env));
        } catch (err) {
          // A function whose init throws with its template env: report it, do not hide it.
          const text = String((err as { stderr?: string }).stderr ?? err);
          failures.set(f.name, /Error: (.*)/.exec(text)?.[1] ?? text.slice(0, 120));
        }
      }
    }
    const rows: Row[] = [];
    for (const f of fns) {
      const kb = (await stat(f.file)).size / 1000;
      const initMs = median(cpu.get(f.name)!);
      const met = kb <= TARGET.kb && initMs <= TARGET.initMs ? 'met' : 'NOT met';
      rows.push({
        figure: `Lambda ${f.name}: bundle, cold-init CPU${f.env.NODE_OPTIONS ? ` (${f.env.NODE_OPTIONS})` : ''}`,
        now: `${kb.toFixed(0)} KB, ${failures.has(f.name) ? `init FAILS: ${failures.get(f.name)}` : ms(initMs)}`,
        baseline: `issue: 1.7 MB, 294–327 ms; 1-line module: ${ms(median(base))}`,
        ratio: `${x(kb / ISSUE.kb)} size, ${failures.has(f.name) ? '-' : x(initMs / ISSUE.initMs)} init`,
        target: `≤ ${TARGET.kb} KB, ≤ ${TARGET.initMs} ms: ${failures.has(f.name) ? 'NOT met' : met}`,
      });
    }
    return rows;
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}
