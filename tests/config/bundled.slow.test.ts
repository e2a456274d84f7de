/**
 * The configuration bundled into each function's code (src/config/environment.ts, esbuild `define`
 * from deploy/stage-config.ts), bundled here in-process with serverless.yml's own esbuild options
 * and run in a fresh Node process, as Lambda would. The packaged zips are checked by tests/template.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { packagingOptions } from '../../local/bench/bundles.ts';
import { parse as parseYaml } from 'yaml';
import {
  BUNDLED_DETECTIONS,
  BUNDLED_ORGANIZATION,
  BUNDLED_MIRRORING,
  bundledConfig,
  bundledConfigDefine,
  loadStageConfig,
} from '../../deploy/stage-config.ts';
import { loadConfigFile } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { node, root } from '../template/inspect.ts';

const config: Config = loadConfigFile(path.join(root, 'tests', 'template', 'fixtures', 'detections.yml'));
const dir = mkdtempSync(path.join(tmpdir(), 'autotap-bundled-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Bundles a module that prints what `reader` returns, with `define` as packaging sets it. */
async function bundle(
  name: string,
  reader: 'mirroringConfig' | 'detectionsSection',
  define: Record<string, string>,
): Promise<{ file: string; text: string }> {
  const { options } = await packagingOptions();
  const result = await build({
    ...options,
    define,
    stdin: {
      contents: `import { ${reader} } from './src/config/environment.ts';\nconsole.log(JSON.stringify(${reader}() ?? null));`,
      resolveDir: root,
      loader: 'ts',
    },
    outfile: path.join(dir, `${name}.mjs`),
  });
  const text = result.outputFiles![0]!.text;
  const file = path.join(dir, `${name}.mjs`);
  writeFileSync(file, text);
  return { file, text };
}

function runBundle(file: string, env: Record<string, string> = {}): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile(
      node,
      [file],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ ok: !error, output: error ? stderr : stdout.trim() }),
    );
  });
}

describe('configuration bundled into the code', () => {
  test('a mirroring function reads the bundled mirroring section, without any environment variable', async () => {
    const { file, text } = await bundle('mirroring', 'mirroringConfig', bundledConfigDefine(config));
    const run = await runBundle(file);
    expect(run).toEqual({ ok: true, output: JSON.stringify(config.mirroring) });
    // What the function does not read is not in its code: no detections section, no ops emails.
    expect(text).not.toContain(config.detections!.appliance!.secretArn);
    for (const address of config.notifications.opsEmails) expect(text).not.toContain(address);
    // Nor the configuration schemas: a deployed function does not validate its sections again, and
    // the code that reads AUTOTAP_CONFIG instead is left out, so the bundle need not compile them.
    expect(text).not.toContain('stage configuration as JSON');
    expect(text).not.toContain('expected an id like tmf-');
  });

  test('a deployed function ignores AUTOTAP_CONFIG: the bundle is the one source', async () => {
    const { file } = await bundle('mirroring-ignores-env', 'mirroringConfig', bundledConfigDefine(config));
    const other = { ...config, mirroring: { ...config.mirroring, filterId: 'tmf-fffffffffffffffff' } };
    expect(await runBundle(file, { AUTOTAP_CONFIG: JSON.stringify(other) })).toEqual({
      ok: true,
      output: JSON.stringify(config.mirroring),
    });
  });

  test('a detection function reads the bundled detections section and not the mirroring one', async () => {
    const { file, text } = await bundle('detections', 'detectionsSection', bundledConfigDefine(config));
    expect(await runBundle(file)).toEqual({ ok: true, output: JSON.stringify(config.detections) });
    expect(text).not.toContain(config.mirroring.filterId);
    for (const address of config.notifications.opsEmails) expect(text).not.toContain(address);
  });

  test('a stage without detections bundles null: the section is absent, not defaulted', async () => {
    const { file } = await bundle(
      'no-detections',
      'detectionsSection',
      bundledConfigDefine({ ...config, detections: undefined }),
    );
    expect(await runBundle(file)).toEqual({ ok: true, output: 'null' });
  });

  describe('a stage with mirroring.create', () => {
    const created: Config = loadConfigFile(path.join(root, 'tests', 'template', 'fixtures', 'create.yml'));
    const ids = {
      AUTOTAP_MIRROR_FILTER_ID: 'tmf-0c0ffee0c0ffee001',
      AUTOTAP_MIRROR_TARGET_ID: 'tmt-0c0ffee0c0ffee002',
    };

    test('the function merges the ids the stack passes: the created filter, and the created target after the configured ones', async () => {
      const { file } = await bundle('created', 'mirroringConfig', bundledConfigDefine(created));
      const expected = {
        ...created.mirroring,
        filterId: ids.AUTOTAP_MIRROR_FILTER_ID,
        targets: [...created.mirroring.targets, { id: ids.AUTOTAP_MIRROR_TARGET_ID }],
      };
      expect(await runBundle(file, ids)).toEqual({ ok: true, output: JSON.stringify(expected) });
    });

    test('without the variables the function fails at cold start naming the missing one', async () => {
      const { file } = await bundle('created-unset', 'mirroringConfig', bundledConfigDefine(created));
      const run = await runBundle(file, { AUTOTAP_MIRROR_TARGET_ID: ids.AUTOTAP_MIRROR_TARGET_ID });
      expect(run.ok).toBe(false);
      expect(run.output).toContain(
        'AUTOTAP_MIRROR_FILTER_ID: not set (expected the id of the traffic mirror filter the stack created)',
      );
    });
  });

  // A deployed function reads its sections without validating them again (src/config/environment.ts):
  // what makes that safe is that packaging can only bundle a configuration it validated.
  test('a bundled section is read as packaging wrote it: the function does not validate it again', async () => {
    const define = {
      ...bundledConfigDefine(config),
      [BUNDLED_MIRRORING]: JSON.stringify(JSON.stringify({ ...config.mirroring, filterId: 'nope' })),
    };
    const { file } = await bundle('unvalidated', 'mirroringConfig', define);
    expect(await runBundle(file)).toEqual({
      ok: true,
      output: JSON.stringify({ ...config.mirroring, filterId: 'nope' }),
    });
  });

  test('packaging refuses an invalid config/<stage>.yml naming the field, so no bundle holds it', () => {
    const stageDir = mkdtempSync(path.join(tmpdir(), 'autotap-invalid-stage-'));
    try {
      mkdirSync(path.join(stageDir, 'config'));
      writeFileSync(
        path.join(stageDir, 'config', 'broken.yml'),
        readFileSync(path.join(root, 'config', 'dev.yml'), 'utf8').replace(/filterId: tmf-[0-9a-f]+/, 'filterId: nope'),
      );
      expect(() => loadStageConfig('broken', stageDir)).toThrow(/mirroring\.filterId: expected an id like tmf-/);
    } finally {
      rmSync(stageDir, { recursive: true, force: true });
    }
  });

  test('serverless.yml bundles the configuration only through bundledConfig, which is the validated stage file', async () => {
    const serverless = parseYaml(readFileSync(path.join(root, 'serverless.yml'), 'utf8'), { logLevel: 'silent' }) as {
      custom: { esbuild: { define: unknown } };
    };
    expect(serverless.custom.esbuild.define).toBe('${file(deploy/serverless.js):bundledConfig}');
    // What osls loads for that variable (a .js file it can require) is stage-config's own resolver.
    const variableFile = (await import(path.join(root, 'deploy', 'serverless.js'))) as { bundledConfig: unknown };
    expect(variableFile.bundledConfig).toBe(bundledConfig);
    const define = await bundledConfig({
      options: {},
      resolveVariable: async () => 'dev',
      resolveConfigurationProperty: async () => undefined,
    });
    expect(define).toEqual(bundledConfigDefine(loadConfigFile(path.join(root, 'config', 'dev.yml'))));
  });

  test('the define holds the three sections as JSON string literals, and nothing else', () => {
    const define = bundledConfigDefine(config);
    expect(Object.keys(define).sort()).toEqual([BUNDLED_DETECTIONS, BUNDLED_MIRRORING, BUNDLED_ORGANIZATION].sort());
    expect(JSON.parse(JSON.parse(define[BUNDLED_MIRRORING]!) as string)).toEqual(config.mirroring);
    expect(JSON.parse(JSON.parse(define[BUNDLED_DETECTIONS]!) as string)).toEqual(config.detections);
    // A stage without an organization bundles null: the functions act in their own account only.
    expect(JSON.parse(JSON.parse(define[BUNDLED_ORGANIZATION]!) as string)).toEqual(config.organization ?? null);
  });
});
