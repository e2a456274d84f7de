import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { parse as parseYaml } from 'yaml';
import { declaredLambdas } from './detections.ts';
import { median } from './metrics.ts';

/**
 * Each Lambda as `npm run package` ships it: bundled in-process with the esbuild options of
 * serverless.yml's `custom.esbuild` block (read from the file, so the two cannot drift), then
 * imported in fresh Node processes to time a cold start's module load, next to an empty handler
 * bundled and loaded the same way in the same run.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const EMPTY_HANDLER = '(empty handler)';

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
  /** loadMs / sdkFloor.loadMs. */
  ratioToSdkFloor: number;
  /** Lambda memory the stack gives the function (MB). */
  memoryMb: number;
}

export interface BundleResults {
  esbuild: Record<string, unknown>;
  node: string;
  samples: number;
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
}

/** serverless.yml's esbuild options as esbuild BuildOptions (`exclude` is serverless-esbuild's `external`). */
export async function packagingOptions(): Promise<{ block: EsbuildBlock; options: BuildOptions }> {
  // CloudFormation tags (!Ref ...) are not YAML core tags; they are irrelevant to the esbuild block.
  const document = parseYaml(await readFile(join(ROOT, 'serverless.yml'), 'utf8'), { logLevel: 'silent' }) as { custom?: { esbuild?: EsbuildBlock } };
  const block = document.custom?.esbuild;
  if (!block) throw new Error('serverless.yml has no custom.esbuild block');
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
    const built = [];
    for (const file of await handlerEntries()) {
      built.push(await bundle(basename(file, '.ts'), { entryPoints: [relative(ROOT, join(ROOT, 'functions', file))] }, options, dir));
    }
    // One floor per distinct set of SDK imports (several Lambdas import the same clients).
    const floors = new Map<string, { imports: string[]; built: Awaited<ReturnType<typeof bundle>> }>();
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
    // Interleaved rounds: a slow moment of the machine hits every bundle alike, not one of them.
    const all = [empty, ...built, ...[...floors.values()].map((f) => f.built)];
    const times = new Map<string, number[]>(all.map((b) => [b.name, []]));
    const rss = new Map<string, number[]>(all.map((b) => [b.name, []]));
    for (let round = 0; round < samples; round += 1) {
      for (const b of all) {
        const once = await loadOnce(b.path);
        times.get(b.name)?.push(once.ms);
        rss.get(b.name)?.push(once.rss);
      }
    }
    const measure = (b: (typeof all)[number], name = b.name): BundleMeasure => {
      const loadSamplesMs = times.get(b.name) ?? [];
      return { name, bytes: b.bytes, loadMs: median(loadSamplesMs), loadSamplesMs, packages: b.packages, topInputs: b.topInputs, rssAfterLoad: median(rss.get(b.name) ?? []) };
    };
    const settings = await declaredLambdas();
    return {
      esbuild: { ...block },
      node: process.version,
      samples,
      empty: measure(empty, EMPTY_HANDLER),
      functions: built.map((b): FunctionBundle => {
        const floor = floors.get(floorOf.get(b.name) ?? '');
        if (!floor) throw new Error(`no SDK floor was built for ${b.name}`);
        const own = measure(b);
        const floorMeasure = measure(floor.built);
        return {
          ...own,
          sdkFloor: { imports: floor.imports, bytes: floor.built.bytes, loadMs: floorMeasure.loadMs, loadSamplesMs: floorMeasure.loadSamplesMs },
          ratioToSdkFloor: own.loadMs / floorMeasure.loadMs,
          memoryMb: settings(b.name).memoryMb,
        };
      }),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
