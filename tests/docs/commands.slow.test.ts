import { execFile, execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../../src/config/load.ts';
import { DETAIL_TYPES } from '../../src/mirroring/autotap-events.ts';
import { SKIP_REASONS } from '../../src/mirroring/types.ts';
import { normalizeInput } from '../../src/mirroring/input.ts';
import { normalizeCleanupInput, normalizeReconcileInput } from '../../src/mirroring/reconcile-input.ts';
import { startLocalAutotap } from '../../local/environment.ts';
import { parseScenario, readScenarioFile } from '../../local/scenario.ts';
import { simulate, type SimulationReport } from '../../local/simulate.ts';
import { commandLines, invocation, readDocumentation, words, type CodeBlock } from './markdown.ts';

/**
 * Every command and example in README.md and docs/, run or validated as its marker says
 * (docs/development.md, "How the documentation is tested").
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const node = path.join(root, 'node_modules', '.bin', 'node');
const blocks = readDocumentation(root);

const helpText = execFileSync(node, ['bin/autotap.js', 'help'], { cwd: root, encoding: 'utf8' });
const available = new Set([...helpText.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((m) => m[1]));
/** Options every command takes, which `autotap help` lists apart from the commands. */
const GLOBAL_OPTIONS = ['--help', '-h', '--version', '-v'];
const scripts = Object.keys(
  (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts,
);

const MARKERS = [
  'account',
  'verdict',
  'exists',
  'external',
  'scenario',
  'config',
  'input',
  'output',
  'event',
  'same-as',
];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let home: string;
let sandbox: string;

/** Only what the test gives: no profile, no credentials, no instance metadata. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: home,
    AWS_CONFIG_FILE: path.join(home, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    NODE_OPTIONS: '',
    ...extra,
  };
}

/** Asynchronous: the local AWS in this process must keep answering while the child runs. */
function exec(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

const usageError = (run: Run) => /usage:|unknown command|Unknown option/i.test(run.stderr);
const describeRun = (line: string, run: Run) => `${line}\nexit ${run.code}\nstderr: ${run.stderr.slice(0, 2000)}`;

beforeAll(() => {
  home = mkdtempSync(path.join(os.tmpdir(), 'autotap-docs-home-'));
  // Real-account commands run in a copy of the tree, where `cp config/dev.yml config/<stage>.yml` is
  // done as the README says, without touching the checkout.
  sandbox = mkdtempSync(path.join(os.tmpdir(), 'autotap-docs-tree-'));
  const skip = new Set(['node_modules', '.git', 'reports', '.serverless', '.esbuild', 'coverage']);
  cpSync(root, sandbox, {
    recursive: true,
    filter: (from) => !skip.has(path.relative(root, from).split(path.sep)[0] ?? ''),
  });
  symlinkSync(path.join(root, 'node_modules'), path.join(sandbox, 'node_modules'), 'dir');
  writeFileSync(path.join(home, 'config'), '[default]\nregion = us-east-1\n\n[profile ops]\nregion = us-east-1\n');
  writeFileSync(
    path.join(home, 'credentials'),
    '[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = example\n\n[ops]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = example\n',
  );
});
afterAll(() => {
  rmSync(home, { recursive: true, force: true });
  rmSync(sandbox, { recursive: true, force: true });
});

/** Whether a documented autotap command exists here; an unknown one fails. */
function known(line: string, args: string[]): boolean {
  const command = args[0] ?? '';
  if (GLOBAL_OPTIONS.includes(command) || available.has(command)) return true;
  throw new Error(`${line}: autotap has no command "${command}" (autotap help lists ${[...available].join(', ')})`);
}

async function runAgainstLocalAws(line: string, args: string[], verdict: boolean): Promise<void> {
  const stageAt = args.indexOf('--stage');
  const stage = stageAt >= 0 ? (args[stageAt + 1] ?? 'dev') : 'dev';
  const stageFile = path.join(sandbox, 'config', `${stage}.yml`);
  if (!existsSync(stageFile)) cpSync(path.join(sandbox, 'config', 'dev.yml'), stageFile);
  const account = readScenarioFile(path.join(root, 'tests', 'docs', 'account.yml'));
  const config = parseConfig(parseYaml(readFileSync(stageFile, 'utf8')), stageFile);
  const local = await startLocalAutotap(account.seed, config, { stage });
  try {
    // The docs' `--profile ops`: a profile of this test's own files, reaching the same local AWS.
    const env = {
      ...local.emulator.env(),
      AWS_CONFIG_FILE: path.join(home, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'credentials'),
    };
    const run = await exec(node, ['bin/autotap.js', ...args], sandbox, cleanEnv(env));
    expect({ usageError: usageError(run), line }).toEqual({ usageError: false, line });
    if (verdict) {
      // A verdict may be "not ready" (exit 1), but the command must have asked the account.
      const calls = Object.values(local.emulator.calls()).reduce((n, c) => n + c, 0);
      expect({ calls: calls > 0, line }).toEqual({ calls: true, line });
    } else if (run.code !== 0) {
      throw new Error(describeRun(line, run));
    }
  } finally {
    await local.close();
  }
}

async function runCommand(block: CodeBlock, line: string): Promise<void> {
  const call = invocation(line);
  const mode = block.marker[0];
  if (call.kind === 'npm-install' || (call.kind === 'other' && mode !== 'external')) return;
  if (mode === 'external') {
    if (call.kind !== 'other') throw new Error(`${line}: an autotap or npm command is not external`);
    expect({ line, installed: existsSync(path.join(root, 'node_modules', '.bin', call.program)) }).toEqual({
      line,
      installed: true,
    });
    return;
  }
  if (call.kind === 'npm-script') {
    expect({ line, script: scripts.includes(call.script) }).toEqual({ line, script: true });
    if (mode === 'exists') return;
    const run = await exec(
      'npm',
      ['run', '--silent', call.script, ...(call.args.length > 0 ? call.args : [])],
      root,
      cleanEnv(),
    );
    if (run.code !== 0) throw new Error(describeRun(line, run));
    return;
  }
  if (call.kind !== 'autotap' || !known(line, call.args)) return;
  if (mode === 'exists') return;
  if (mode === 'account') return runAgainstLocalAws(line, call.args, block.marker.includes('verdict'));
  // In the copy of the tree: what a command writes (`status --html status.html`) stays out of the checkout.
  const run = await exec(node, ['bin/autotap.js', ...call.args], sandbox, cleanEnv());
  if (run.code !== 0) throw new Error(describeRun(line, run));
}

const CONFIG_BASE = parseYaml(readFileSync(path.join(root, 'config', 'dev.yml'), 'utf8')) as Record<string, unknown>;

/** A JSON block holds one document, or one per line (the console inputs). */
function jsonDocuments(text: string): unknown[] {
  try {
    return [JSON.parse(text)];
  } catch {
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as unknown);
  }
}

/** Maps whose keys are data, not fields: their entries are not compared. */
const MAPS = new Set(['counts', 'calls', 'tags', 'input', 'output', 'detail']);

/** The field paths of a JSON value (`.results[].outcome`), not descending into maps. */
function fieldPaths(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v) => fieldPaths(v, `${prefix}[]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, v]) => [
    `${prefix}.${key}`,
    ...(MAPS.has(key) ? [] : fieldPaths(v, `${prefix}.${key}`)),
  ]);
}

/** What the documented outputs are compared with: the real ones, from the scenarios. */
const realOutputs = new Map<string, Promise<unknown>>();
function realOutput(kind: string): Promise<unknown> {
  const scenarioOf: Record<string, [string[], (r: SimulationReport) => unknown]> = {
    'mirror-instances': [['demo.yml'], (r) => r.executions.map((e) => e.output)],
    reconcile: [['reconcile.yml'], (r) => r.executions[1]?.output],
    'cleanup-sessions': [['cleanup.yml'], (r) => r.executions[0]?.output],
    // The demo has an event no rule matches; full-target.yml publishes to ops.
    simulate: [['demo.yml', 'full-target.yml'], (r) => JSON.parse(JSON.stringify(r)) as unknown],
  };
  const entry = scenarioOf[kind];
  if (!entry) throw new Error(`output of what? "${kind}" (one of ${Object.keys(scenarioOf).join(', ')})`);
  let output = realOutputs.get(kind);
  if (!output) {
    const runs = entry[0].map((file) => {
      const scenario = readScenarioFile(path.join(root, 'scenarios', file));
      return simulate(scenario, scenario.config ?? parseConfig(CONFIG_BASE)).then(entry[1]);
    });
    // Several scenarios: their outputs together, as a list (the check unions their fields).
    output = Promise.all(runs).then((outputs) => (outputs.length === 1 ? outputs[0] : outputs.flat()));
    realOutputs.set(kind, output);
  }
  return output;
}

const sampleDetailFields = new Set(
  readdirSync(path.join(root, 'events'))
    .filter((f) => /^autotap-.*(?<!\.pattern)\.json$/.test(f))
    .flatMap((f) =>
      Object.keys((JSON.parse(readFileSync(path.join(root, 'events', f), 'utf8')) as { detail: object }).detail),
    ),
);

async function checkExample(block: CodeBlock): Promise<void> {
  const [mode, argument] = block.marker;
  const documents = block.lang === 'json' ? jsonDocuments(block.text) : [parseYaml(block.text) as unknown];
  switch (mode) {
    case undefined:
      return;
    case 'scenario': {
      const scenario = parseScenario(documents[0], block.where);
      const report = await simulate(scenario, scenario.config ?? parseConfig(CONFIG_BASE));
      expect(report.executions.map((e) => e.status).filter((s) => s !== 'SUCCEEDED')).toEqual([]);
      return;
    }
    case 'config':
      // A fragment (a detections section) completes the example stage's configuration.
      parseConfig({ ...CONFIG_BASE, ...(documents[0] as Record<string, unknown>) }, block.where);
      return;
    case 'input': {
      const normalize = {
        'mirror-instances': normalizeInput,
        reconcile: normalizeReconcileInput,
        'cleanup-sessions': normalizeCleanupInput,
      }[argument ?? ''];
      if (!normalize) throw new Error(`${block.where}: input of which state machine? (${argument ?? 'none given'})`);
      for (const document of documents) normalize(document);
      return;
    }
    case 'output': {
      const output = await realOutput(argument ?? '');
      // mirror-instances: the outputs of every execution of the demo, one of them a skip.
      const real = new Set(Array.isArray(output) ? output.flatMap((o) => fieldPaths(o)) : fieldPaths(output));
      for (const document of documents) expect(fieldPaths(document).filter((p) => !real.has(p))).toEqual([]);
      return;
    }
    case 'event':
      for (const document of documents) {
        const event = document as Record<string, unknown>;
        expect(event.source).toBe('autotap');
        expect(Object.values(DETAIL_TYPES)).toContain(event['detail-type']);
        expect(Object.keys(event.detail as object).filter((k) => !sampleDetailFields.has(k))).toEqual([]);
      }
      return;
    case 'same-as':
      expect(documents[0]).toEqual(JSON.parse(readFileSync(path.join(root, argument ?? ''), 'utf8')));
      return;
    default:
      throw new Error(`${block.where}: marker "${mode}" does not apply to a ${block.lang} block`);
  }
}

const shellBlocks = blocks.filter((b) => b.lang === 'sh');
const examples = blocks.filter((b) => b.lang === 'json' || b.lang === 'yaml');

describe('the documentation', () => {
  test('every marker is one the test knows', () => {
    const unknown = blocks
      .filter((b) => b.marker.length > 0 && !MARKERS.includes(b.marker[0] ?? ''))
      .map((b) => `${b.where}: ${b.marker.join(' ')}`);
    expect(unknown).toEqual([]);
  });

  test('documents commands, and every autotap command it names exists', () => {
    const lines = shellBlocks.flatMap((b) => commandLines(b.text)).filter((l) => invocation(l).kind === 'autotap');
    expect(lines.length).toBeGreaterThan(10);
    const missing = lines
      .map((l) => words(l)[words(l)[0] === 'npx' ? 2 : 1] ?? '')
      .filter((c) => !available.has(c) && !GLOBAL_OPTIONS.includes(c));
    expect(missing).toEqual([]);
  });

  test.each(shellBlocks.map((b) => [b.where, b] as const))(
    'commands at %s run',
    async (_where, block) => {
      for (const line of commandLines(block.text)) await runCommand(block, line);
    },
    600_000,
  );

  test.each(
    examples.map((b) => [`${b.lang} at ${b.where}${b.marker.length ? ` (${b.marker.join(' ')})` : ''}`, b] as const),
  )(
    '%s is valid',
    async (_name, block) => {
      await checkExample(block);
    },
    120_000,
  );

  test('the mirror-instances outcome table lists every skip reason there is, and no other', () => {
    const operations = readFileSync(path.join(root, 'docs', 'operations.md'), 'utf8');
    const documented = [...operations.matchAll(/^\|\s*`skipped`\s*\|\s*`([a-z-]+)`\s*\|/gm)].map((m) => m[1]);
    expect([...documented].sort()).toEqual([...SKIP_REASONS].sort());
  });
});
