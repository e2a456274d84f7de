import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { parse as parseYaml } from 'yaml';
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
}

export interface BundleResults {
  esbuild: Record<string, unknown>;
  node: string;
  samples: number;
  empty: BundleMeasure;
  functions: BundleMeasure[];
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
  return { name, path: file.path, bytes: file.contents.byteLength, ...shares(result.metafile) };
}

/** Milliseconds a fresh Node process spends importing `path` (the process's own start excluded). */
function loadOnce(path: string): Promise<number> {
  const script = 'const t = performance.now(); await import(process.env.BUNDLE_URL); process.stdout.write(String(performance.now() - t));';
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
      const ms = Number(out);
      if (code !== 0 || !Number.isFinite(ms)) reject(new Error(`loading ${basename(path)} failed (exit ${code}): ${err.trim().slice(0, 500)}`));
      else resolve(ms);
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
    // Interleaved rounds: a slow moment of the machine hits every bundle alike, not one of them.
    const all = [empty, ...built];
    const times = new Map<string, number[]>(all.map((b) => [b.name, []]));
    for (let round = 0; round < samples; round += 1) {
      for (const b of all) times.get(b.name)?.push(await loadOnce(b.path));
    }
    const measure = (b: (typeof all)[number], name = b.name): BundleMeasure => {
      const loadSamplesMs = times.get(b.name) ?? [];
      return { name, bytes: b.bytes, loadMs: median(loadSamplesMs), loadSamplesMs, packages: b.packages, topInputs: b.topInputs };
    };
    return {
      esbuild: { ...block },
      node: process.version,
      samples,
      empty: measure(empty, EMPTY_HANDLER),
      functions: built.map((b) => measure(b)),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
