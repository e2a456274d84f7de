import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { bundledConfigDefine } from '../../deploy/stage-config.ts';
import type { Config } from '../../src/config/schema.ts';
import { createSessionsTable, startDynalite } from '../dynamodb.ts';
import { startEmulator } from '../emulator/index.ts';
import { packagingOptions } from './bundles.ts';
import { declaredLambdas, startContainer } from './detections.ts';
import { MB } from './detections-metrics.ts';
import { generateFleet } from './fleet.ts';
import type { ContainerFunction } from './lambda-container.ts';
import { atMost, type TargetCheck } from './metrics.ts';
import { n, table } from './render.ts';

/**
 * What a reconcile costs its Lambda as the account grows: one dry-run `reconcileRound` (it describes
 * the whole account and plans every ENI) and one `reconcileSlice` of a detach cleanup (every managed
 * session of the account), each in a fresh container of its own over fleets of growing size. Peak RSS
 * and CPU time per 10,000 instances come from the largest and smallest fleet; the projection to
 * PROJECTED_INSTANCES is linear, which the middle fleet checks.
 *
 * CPU time is wall time on an unshared core; Lambda gives a function CPU in proportion to its memory,
 * one vCPU at 1,769 MB (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html), so
 * the same work at M MB takes about cpu x 1,769 / M seconds when M is below that.
 */

export interface ReconcileMemoryParams {
  /** Fleet sizes (instances), smallest first; at least two. */
  sizes: number[];
  onProgress?: (line: string) => void;
}

export const DEFAULT_RECONCILE_MEMORY: Omit<ReconcileMemoryParams, 'onProgress'> = { sizes: [10_000, 20_000, 30_000] };
export const PROJECTED_INSTANCES = 50_000;
/** Lambda's memory at which a function has one full vCPU. */
export const ONE_VCPU_MB = 1_769;

export interface ReconcileSample {
  instances: number;
  enis: number;
  sessions: number;
  peakRss: number;
  loadedRss: number;
  cpuMs: number;
  wallMs: number;
  /** What the handler reported: counts by outcome. */
  counts: Record<string, number>;
}

export interface ReconcileFunctionFigures {
  function: ContainerFunction;
  memoryMb: number;
  timeoutSeconds: number;
  samples: ReconcileSample[];
  /** Per 10,000 instances, from the smallest and the largest fleet. */
  rssPer10k: number;
  cpuMsPer10k: number;
  /** At PROJECTED_INSTANCES, linear from the largest fleet. */
  projectedRss: number;
  projectedCpuMs: number;
  /** The projected work's time at the function's memory (CPU share in proportion to memory). */
  projectedSecondsAtMemory: number;
}

export interface ReconcileMemoryResult {
  projectedInstances: number;
  round: ReconcileFunctionFigures;
  slice: ReconcileFunctionFigures;
}

const ROUND_INPUT = { progress: { request: { dryRun: true }, round: 0, cursor: '', report: { counts: {}, actions: [], truncated: 0 } } };
// A detach cleanup: every managed session of the account, the largest work a slice is given.
const SLICE_INPUT = { work: { mode: 'cleanup', allManagedSessions: true, dryRun: true } };

/**
 * Every fleet holds about the same number of sessions, the 20,000-instance fleet's 8,800 or so:
 * Traffic Mirroring allows 10,000 sessions per account
 * (https://docs.aws.amazon.com/vpc/latest/mirroring/traffic-mirroring-limits.html), so beyond that the
 * account grows in instances and ENIs out of scope, not in sessions.
 */
export function excludedShareFor(instances: number): number {
  return Math.max(0, 1 - 4_400 / instances);
}

/**
 * The function as `npm run package` builds it (serverless.yml's esbuild options), with the fleet's
 * configuration bundled as packaging bundles a stage's: the source would load every module of the SDK
 * packages it touches and overstate the container by some 80 MB.
 */
async function bundleOf(fn: ContainerFunction, config: Config, dir: string): Promise<string> {
  const { options } = await packagingOptions();
  const out = join(dir, `${fn}.mjs`);
  const result = await build({ ...options, define: bundledConfigDefine(config), entryPoints: [`functions/${fn}.ts`], outfile: out });
  const file = result.outputFiles?.[0];
  if (!file) throw new Error(`esbuild produced no output for ${fn}`);
  await writeFile(out, file.contents);
  return pathToFileURL(out).href;
}

async function sample(fn: ContainerFunction, instances: number, settings: { memoryMb: number; timeoutSeconds: number }): Promise<ReconcileSample> {
  const fleet = generateFleet({ instances, excludedShare: excludedShareFor(instances) });
  const emulator = await startEmulator(fleet.seed);
  // The registry the round and the slice read and write, as the stack gives them (SESSIONS_TABLE).
  const dynamo = await startDynalite();
  const dir = await mkdtemp(join(tmpdir(), 'autotap-reconcile-memory-'));
  try {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '',
      ...emulator.env(),
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      SESSIONS_TABLE: await createSessionsTable(dynamo.endpoint),
      AWS_RETRY_MODE: 'adaptive',
      AWS_MAX_ATTEMPTS: '5',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      AUTOTAP_CONFIG: JSON.stringify(fleet.config),
      EVENT_BUS_NAME: 'default',
    };
    const container = await startContainer(fn, env, settings, await bundleOf(fn, fleet.config, dir));
    try {
      const started = performance.now();
      const report = await container.invoke(fn === 'reconcile-round' ? ROUND_INPUT : SLICE_INPUT);
      if (report.error) throw new Error(`${fn} over ${instances} instances failed: ${report.error}`);
      const response = report.response as { counts?: Record<string, number>; report?: { counts?: Record<string, number> } };
      return {
        instances,
        enis: fleet.expected.enis,
        sessions: fleet.seed.sessions?.length ?? 0,
        peakRss: report.maxRss,
        loadedRss: container.ready.loaded.rss,
        cpuMs: report.cpuMs,
        wallMs: performance.now() - started,
        counts: response.report?.counts ?? response.counts ?? {},
      };
    } finally {
      container.stop();
    }
  } finally {
    await emulator.close();
    await dynamo.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function figures(fn: ContainerFunction, settings: { memoryMb: number; timeoutSeconds: number }, samples: ReconcileSample[]): ReconcileFunctionFigures {
  const first = samples[0]!;
  const last = samples.at(-1)!;
  const per10k = (a: number, b: number) => ((b - a) / (last.instances - first.instances)) * 10_000;
  const rssPer10k = per10k(first.peakRss, last.peakRss);
  const cpuMsPer10k = per10k(first.cpuMs, last.cpuMs);
  const more = (PROJECTED_INSTANCES - last.instances) / 10_000;
  const projectedCpuMs = last.cpuMs + Math.max(0, cpuMsPer10k) * more;
  return {
    function: fn,
    ...settings,
    samples,
    rssPer10k,
    cpuMsPer10k,
    projectedRss: last.peakRss + Math.max(0, rssPer10k) * more,
    projectedCpuMs,
    projectedSecondsAtMemory: (projectedCpuMs / 1000) * Math.max(1, ONE_VCPU_MB / settings.memoryMb),
  };
}

export async function runReconcileMemoryBench(input: Partial<ReconcileMemoryParams> = {}): Promise<ReconcileMemoryResult> {
  const params = { ...DEFAULT_RECONCILE_MEMORY, ...input };
  if (params.sizes.length < 2) throw new Error('reconcile memory: at least two fleet sizes');
  const progress = params.onProgress ?? (() => undefined);
  const of = await declaredLambdas();
  const result: Partial<Record<'round' | 'slice', ReconcileFunctionFigures>> = {};
  for (const [key, fn] of [['round', 'reconcile-round'], ['slice', 'reconcile-slice']] as const) {
    const settings = of(fn);
    const samples: ReconcileSample[] = [];
    for (const instances of params.sizes) {
      progress(`reconcile memory: ${fn} over ${instances.toLocaleString('en-US')} instances ...`);
      const s = await sample(fn, instances, settings);
      progress(`  peak RSS ${(s.peakRss / MB).toFixed(0)} MB, CPU ${(s.cpuMs / 1000).toFixed(1)} s`);
      samples.push(s);
    }
    result[key] = figures(fn, { memoryMb: settings.memoryMb, timeoutSeconds: settings.timeoutSeconds }, samples);
  }
  return { projectedInstances: PROJECTED_INSTANCES, round: result.round!, slice: result.slice! };
}

/** The share of a function's memory its projected peak may take: the rest is headroom. */
export const PROJECTED_RSS_SHARE = 0.75;
/** The share of a function's timeout the projected work may take at its CPU share. */
export const PROJECTED_TIME_SHARE = 0.5;

export function evaluateReconcileMemoryTargets(r: ReconcileMemoryResult): TargetCheck[] {
  const mb = (bytes: number) => `${(bytes / MB).toFixed(0)} MB`;
  const seconds = (x: number) => `${x.toFixed(1)} s`;
  return [r.round, r.slice].flatMap((f) => [
    {
      ...atMost(`peak RSS at ${n(r.projectedInstances)} instances, ${f.function}`, f.projectedRss, f.memoryMb * MB * PROJECTED_RSS_SHARE, mb),
      target: `<= ${mb(f.memoryMb * MB * PROJECTED_RSS_SHARE)} (${PROJECTED_RSS_SHARE * 100}% of ${f.memoryMb} MB)`,
    },
    {
      ...atMost(`time at ${n(r.projectedInstances)} instances, ${f.function}`, f.projectedSecondsAtMemory, f.timeoutSeconds * PROJECTED_TIME_SHARE, seconds),
      target: `<= ${seconds(f.timeoutSeconds * PROJECTED_TIME_SHARE)} (${PROJECTED_TIME_SHARE * 100}% of ${f.timeoutSeconds} s)`,
    },
  ]);
}

export function renderReconcileMemory(r: ReconcileMemoryResult): string {
  const mb = (bytes: number) => `${n(bytes / MB)} MB`;
  const s = (ms: number) => `${n(ms / 1000, 1)} s`;
  const rows = [r.round, r.slice].flatMap((f) => [
    ...f.samples.map((x) => [f.function, n(x.instances), n(x.enis), n(x.sessions), mb(x.loadedRss), mb(x.peakRss), s(x.cpuMs), s(x.wallMs)]),
    [
      `${f.function}, per 10,000`,
      '',
      '',
      '',
      '',
      `${n(f.rssPer10k / MB, 1)} MB`,
      s(f.cpuMsPer10k),
      '',
    ],
    [`${f.function}, at ${n(r.projectedInstances)}`, '', '', '', '', `${mb(f.projectedRss)} of ${f.memoryMb} MB`, s(f.projectedCpuMs), `${n(f.projectedSecondsAtMemory, 1)} s at ${f.memoryMb} MB`],
  ]);
  return [
    `Reconcile memory: one dry-run reconcileRound, and one reconcileSlice of a detach cleanup (every managed session), each as packaged in a fresh container per fleet; projected linearly to ${n(r.projectedInstances)} instances, time at the function's CPU share (one vCPU at ${n(ONE_VCPU_MB)} MB).`,
    '',
    table(['Reconcile memory', 'instances', 'ENIs', 'sessions', 'RSS loaded', 'peak RSS', 'CPU', 'wall'], rows),
  ].join('\n');
}
