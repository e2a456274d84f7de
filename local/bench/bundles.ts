import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { parse as parseYaml } from 'yaml';
import { bundledConfigDefine, loadStageConfig } from '../../deploy/stage-config.ts';
import { declaredLambdas } from './detections.ts';
import { median } from './metrics.ts';

/**
 * Each Lambda as `npm run package` ships it: bundled in-process with the esbuild options of
 * serverless.yml's `custom.esbuild` block (read from the file, so the two cannot drift), the
 * `define` of a stage's validated configuration included (the deployed code path, not the local
 * one), then imported in fresh Node processes to time a cold start's module load, next to an
 * empty handler bundled and loaded the same way in the same run.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const EMPTY_HANDLER = '(empty handler)';
/** The stage whose configuration the bench bundles, as `serverless package --stage dev` would. */
export const BENCH_STAGE = 'dev';

export interface InputShare {
  input: string;
  bytes: number;
}

export interface BundleMeasure {
  name: string;
  bytes: number;
  /** Median milliseconds to import the bundle in a fresh process. */
  loadMs: number;
  loadSamplesMs: number[];
  /** Bytes of output per package (or `project`), largest first. */
  packages: InputShare[];
  /** Bytes of output per input file, largest first (top 15). */
  topInputs: InputShare[];
  /** Median RSS of the fresh process once the bundle is imported (bytes). */
  rssAfterLoad: number;
}

/**
 * A bundle that imports only the AWS SDK names a Lambda imports (same esbuild options), the floor
 * of its cold start: what the SDK itself costs to load.
 */
export interface SdkFloor {
  /** `package: name, name` per SDK package imported. */
  imports: string[];
  bytes: number;
  loadMs: number;
  loadSamplesMs: number[];
}

export interface FunctionBundle extends BundleMeasure {
  sdkFloor: SdkFloor;
  /**
   * Median over rounds of loadMs / floor ms, each round loading the floor and the Lambda back to
   * back: a slow moment of the machine hits both alike, so the ratio holds under load. The medians
   * of each are `loadMs` and `sdkFloor.loadMs`.
   */
  ratioToSdkFloor: number;
  /** The per-round ratios (same order as `loadSamplesMs` and `sdkFloor.loadSamplesMs`). */
  ratioSamples: number[];
  /** Lambda memory the stack gives the function (MB). */
  memoryMb: number;
}

export interface BundleResults {
  esbuild: Record<string, unknown>;
  node: string;
  samples: number;
  /** The stage whose bundled configuration (esbuild `define`) the bundles hold. */
  stage: string;
  empty: BundleMeasure;
  functions: FunctionBundle[];
}

interface EsbuildBlock {
  bundle?: boolean;
  minify?: boolean;
  keepNames?: boolean;
  treeShaking?: boolean;
  sourcemap?: boolean;
  platform?: BuildOptions['platform'];
  target?: string;
  format?: BuildOptions['format'];
  mainFields?: string[];
  exclude?: string[];
  banner?: { js?: string };
  define?: unknown;
}

/** serverless.yml's `define`: the resolver packaging calls for each stage's bundled configuration. */
export const PACKAGING_DEFINE = '${file(deploy/serverless.js):bundledConfig}';

/**
 * serverless.yml's esbuild options as esbuild BuildOptions (`exclude` is serverless-esbuild's
 * `external`), with the `define` packaging gives `stage` (the resolver's own function).
 */
export async function packagingOptions(stage: string = BENCH_STAGE): Promise<{ block: EsbuildBlock; options: BuildOptions }> {
  // CloudFormation tags (!Ref ...) are not YAML core tags; they are irrelevant to the esbuild block.
  const document = parseYaml(await readFile(join(ROOT, 'serverless.yml'), 'utf8'), { logLevel: 'silent' }) as { custom?: { esbuild?: EsbuildBlock } };
  const block = document.custom?.esbuild;
  if (!block) throw new Error('serverless.yml has no custom.esbuild block');
  // The define is a variable osls resolves; resolve it the same way rather than copy its value.
  if (block.define !== PACKAGING_DEFINE) throw new Error(`serverless.yml custom.esbuild.define: expected ${PACKAGING_DEFINE}, got ${JSON.stringify(block.define)}`);
  const options: BuildOptions = {
    bundle: block.bundle ?? true,
    minify: block.minify ?? false,
    keepNames: block.keepNames ?? false,
    treeShaking: block.treeShaking ?? true,
    sourcemap: block.sourcemap ?? false,
    platform: block.platform ?? 'node',
    target: block.target ?? 'node24',
    format: block.format ?? 'esm',
    mainFields: block.mainFields ?? ['module', 'main'],
    external: block.exclude ?? [],
    ...(block.banner?.js ? { banner: { js: block.banner.js } } : {}),
    define: bundledConfigDefine(loadStageConfig(stage)),
    write: false,
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: ROOT,
  };
  return { block, options };
}

/** The package an input belongs to (`@aws-sdk/client-ec2`, `zod`), or `project` for our own code. */
export function packageOf(input: string): string {
  const at = input.lastIndexOf('node_modules/');
  if (at < 0) return 'project';
  const parts = input.slice(at + 'node_modules/'.length).split('/');
  return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? input);
}

function shares(metafile: Metafile): { packages: InputShare[]; topInputs: InputShare[] } {
  const output = Object.values(metafile.outputs)[0];
  const inputs = Object.entries(output?.inputs ?? {}).map(([input, { bytesInOutput }]) => ({ input, bytes: bytesInOutput }));
  const byPackage = new Map<string, number>();
  for (const { input, bytes } of inputs) byPackage.set(packageOf(input), (byPackage.get(packageOf(input)) ?? 0) + bytes);
  return {
    packages: [...byPackage].map(([input, bytes]) => ({ input, bytes })).sort((a, b) => b.bytes - a.bytes),
    topInputs: inputs.sort((a, b) => b.bytes - a.bytes).slice(0, 15),
  };
}

type Built = Awaited<ReturnType<typeof bundle>>;

async function bundle(name: string, entry: BuildOptions, options: BuildOptions, dir: string) {
  const result = await build({ ...options, ...entry, outfile: join(dir, `${name}.mjs`) });
  const file = result.outputFiles?.[0];
  if (!file || !result.metafile) throw new Error(`esbuild produced no output for ${name}`);
  await writeFile(file.path, file.contents);
  const inputs = Object.keys(Object.values(result.metafile.outputs)[0]?.inputs ?? {});
  return { name, path: file.path, bytes: file.contents.byteLength, inputs, ...shares(result.metafile) };
}

/** `import { A, B as C } from '@aws-sdk/...'` (values, not types), as the project's sources write them. */
const SDK_IMPORT = /import\s+(?!type\s)\{([^}]*)\}\s*from\s*['"](@aws-sdk\/[^'"]+)['"]/g;

/** The AWS SDK names each package contributes to a bundle, read from the project files bundled into it. */
export async function sdkImportsOf(projectInputs: readonly string[]): Promise<Map<string, Set<string>>> {
  const byPackage = new Map<string, Set<string>>();
  for (const input of projectInputs) {
    const source = await readFile(join(ROOT, input), 'utf8');
    for (const match of source.matchAll(SDK_IMPORT)) {
      const names = (match[1] ?? '')
        .split(',')
        .map((n) => n.trim())
        .filter((n) => n !== '' && !n.startsWith('type '))
        .map((n) => n.split(/\s+as\s+/)[0] as string);
      const set = byPackage.get(match[2] as string) ?? new Set<string>();
      for (const n of names) set.add(n);
      byPackage.set(match[2] as string, set);
    }
  }
  return byPackage;
}

/** Source of the floor bundle: the same SDK names, kept alive so that tree shaking keeps them. */
export function sdkFloorSource(imports: Map<string, Set<string>>): string {
  const packages = [...imports].sort(([a], [b]) => (a < b ? -1 : 1));
  const lines = packages.map(([pkg, names], k) => `import { ${[...names].sort().map((n) => `${n} as n${k}_${n}`).join(', ')} } from '${pkg}';`);
  const kept = packages.flatMap(([, names], k) => [...names].sort().map((n) => `n${k}_${n}`));
  return [...lines, `export const handler = async () => [${kept.join(', ')}].length;`].join('\n');
}

/** Milliseconds a fresh Node process spends importing `path` (the process's own start excluded), and its RSS after. */
export function loadOnce(path: string): Promise<{ ms: number; rss: number }> {
  const script =
    'const t = performance.now(); await import(process.env.BUNDLE_URL); const ms = performance.now() - t; process.stdout.write(JSON.stringify({ ms, rss: process.memoryUsage().rss }));';
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH ?? '', BUNDLE_URL: pathToFileURL(path).href, AWS_REGION: 'us-east-1', POWERTOOLS_LOG_LEVEL: 'SILENT' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      let parsed: { ms?: unknown; rss?: unknown } = {};
      try {
        parsed = JSON.parse(out) as typeof parsed;
      } catch {
        parsed = {};
      }
      const { ms, rss } = parsed;
      if (code !== 0 || typeof ms !== 'number' || typeof rss !== 'number') reject(new Error(`loading ${basename(path)} failed (exit ${code}): ${err.trim().slice(0, 500)}`));
      else resolve({ ms, rss });
    });
  });
}

/** Which of a Lambda and its floor loads first in a round: alternating, so neither always goes first. */
export function pairOrder<T>(round: number, lambda: T, floor: T): [T, T] {
  return round % 2 === 0 ? [floor, lambda] : [lambda, floor];
}

/** Median of the per-round ratios lambda / floor (round i of each paired). */
export function pairedRatio(lambdaMs: readonly number[], floorMs: readonly number[]): { ratio: number; samples: number[] } {
  if (lambdaMs.length !== floorMs.length) throw new Error(`paired samples differ in length: ${lambdaMs.length} and ${floorMs.length}`);
  const samples = lambdaMs.map((ms, i) => ms / (floorMs[i] as number));
  return { ratio: median(samples), samples };
}

export async function handlerEntries(): Promise<string[]> {
  return (await readdir(join(ROOT, 'functions'))).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.endsWith('.test.ts')).sort();
}

export async function measureBundles(samples = 7): Promise<BundleResults> {
  const { block, options } = await packagingOptions();
  const dir = await mkdtemp(join(tmpdir(), 'autotap-bench-'));
  try {
    const empty = await bundle(
      EMPTY_HANDLER.replace(/\W/g, '') || 'empty',
      { stdin: { contents: 'export const handler = async () => ({});', loader: 'ts', resolveDir: ROOT, sourcefile: 'empty-handler.ts' } },
      options,
      dir,
    );
    const built: Built[] = [];
    for (const file of await handlerEntries()) {
      built.push(await bundle(basename(file, '.ts'), { entryPoints: [relative(ROOT, join(ROOT, 'functions', file))] }, options, dir));
    }
    // One floor per distinct set of SDK imports (several Lambdas import the same clients).
    const floors = new Map<string, { imports: string[]; built: Built }>();
    const floorOf = new Map<string, string>();
    for (const b of built) {
      const imports = await sdkImportsOf(b.inputs.filter((input) => !input.includes('node_modules/')));
      const source = sdkFloorSource(imports);
      if (!floors.has(source)) {
        const name = `sdk-floor-${floors.size + 1}`;
        const described = [...imports].map(([pkg, names]) => `${pkg}: ${[...names].sort().join(', ')}`);
        floors.set(source, { imports: described, built: await bundle(name, { stdin: { contents: source, loader: 'ts', resolveDir: ROOT, sourcefile: `${name}.ts` } }, options, dir) });
      }
      floorOf.set(b.name, source);
    }
    // Interleaved rounds: each round loads the empty handler, then each Lambda and its floor back
    // to back (alternating which goes first), so a slow moment of the machine hits a pair alike.
    const load = async (path: string, into: { ms: number[]; rss: number[] }) => {
      const once = await loadOnce(path);
      into.ms.push(once.ms);
      into.rss.push(once.rss);
    };
    const emptyLoads = { ms: [] as number[], rss: [] as number[] };
    const pairs = built.map((b) => {
      const floor = floors.get(floorOf.get(b.name) ?? '');
      if (!floor) throw new Error(`no SDK floor was built for ${b.name}`);
      return { built: b, floor, own: { ms: [] as number[], rss: [] as number[] }, floorLoads: { ms: [] as number[], rss: [] as number[] } };
    });
    for (let round = 0; round < samples; round += 1) {
      await load(empty.path, emptyLoads);
      for (const pair of pairs) {
        for (const [path, into] of pairOrder<[string, { ms: number[]; rss: number[] }]>(round, [pair.built.path, pair.own], [pair.floor.built.path, pair.floorLoads])) {
          await load(path, into);
        }
      }
    }
    const measure = (b: Built, loads: { ms: number[]; rss: number[] }, name = b.name): BundleMeasure => ({
      name,
      bytes: b.bytes,
      loadMs: median(loads.ms),
      loadSamplesMs: loads.ms,
      packages: b.packages,
      topInputs: b.topInputs,
      rssAfterLoad: median(loads.rss),
    });
    const settings = await declaredLambdas();
    return {
      esbuild: { ...block },
      node: process.version,
      samples,
      stage: BENCH_STAGE,
      empty: measure(empty, emptyLoads, EMPTY_HANDLER),
      functions: pairs.map(({ built: b, floor, own, floorLoads }): FunctionBundle => {
        const paired = pairedRatio(own.ms, floorLoads.ms);
        return {
          ...measure(b, own),
          sdkFloor: { imports: floor.imports, bytes: floor.built.bytes, loadMs: median(floorLoads.ms), loadSamplesMs: floorLoads.ms },
          ratioToSdkFloor: paired.ratio,
          ratioSamples: paired.samples,
          memoryMb: settings(b.name).memoryMb,
        };
      }),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
