import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

/**
 * The layering and "TypeScript only" rules of eslint.config.js, checked on small virtual files at the paths
 * they would live at. Type-aware rules are switched off here: a virtual file has no place in the TypeScript
 * project, and these rules do not need types.
 */
const eslint = new ESLint({ overrideConfig: [{ ...tseslint.configs.disableTypeChecked, files: ['**/*.ts'] }] });

async function ruleIds(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((message) => message.ruleId ?? `fatal: ${message.message}`);
}

const IMPORT_LOCAL = "import { startLocalAws } from '../local/environment.ts';\nexport const go = startLocalAws;\n";
const IMPORT_LOCAL_DEEP =
  "import { startLocalAws } from '../../local/environment.ts';\nexport const go = startLocalAws;\n";
const DYNAMIC_LOCAL = "export const load = () => import('../local/emulator/index.ts');\n";
const IMPORT_EC2_ADAPTER =
  "import { describeNetworkInterfaces } from '../aws/ec2.ts';\nexport const go = describeNetworkInterfaces;\n";
const IMPORT_SLACK_TYPE =
  "import type { SlackPostResult } from '../slack/webhook.ts';\nexport type R = SlackPostResult;\n";
const IMPORT_SDK = "import { EC2Client } from '@aws-sdk/client-ec2';\nexport const client = new EC2Client({});\n";
const IMPORT_DOMAIN = "import { planExecution } from '../mirroring/plan.ts';\nexport const go = planExecution;\n";

describe('nothing deployed or run against an account imports local/', () => {
  it.each([
    ['src/mirroring/sample.ts', IMPORT_LOCAL],
    ['src/aws/sample.ts', IMPORT_LOCAL],
    ['src/detections/ingest/sample.ts', IMPORT_LOCAL_DEEP],
    ['functions/sample.ts', IMPORT_LOCAL],
    ['cli/sample.ts', IMPORT_LOCAL],
    ['deploy/sample.ts', IMPORT_LOCAL],
  ])('%s importing local/ is refused', async (path, code) => {
    expect(await ruleIds(path, code)).toEqual(['no-restricted-imports']);
  });

  it('a dynamic import() of local/ is refused too', async () => {
    expect(await ruleIds('cli/sample.ts', DYNAMIC_LOCAL)).toEqual(['no-restricted-syntax']);
  });

  it('tests and local/ itself may import local/', async () => {
    expect(await ruleIds('tests/sample.test.ts', IMPORT_LOCAL)).toEqual([]);
    expect(await ruleIds('local/bench/sample.ts', IMPORT_LOCAL)).toEqual([]);
  });
});

describe('domain modules import no adapter', () => {
  it.each([
    ['src/mirroring/sample.ts', IMPORT_EC2_ADAPTER],
    ['src/detections/sample.ts', IMPORT_SLACK_TYPE],
    ['src/config/sample.ts', IMPORT_EC2_ADAPTER],
    ['src/detections/ingest/sample.ts', IMPORT_EC2_ADAPTER.replace('../aws', '../../aws')],
    ['src/validation.ts', IMPORT_EC2_ADAPTER.replace('../aws', './aws')],
    ['src/batches.ts', IMPORT_EC2_ADAPTER.replace('../aws', './aws')],
    ['src/mirroring/sample.ts', IMPORT_SDK],
  ])('%s importing an adapter or the SDK is refused', async (path, code) => {
    expect(await ruleIds(path, code)).toEqual(['no-restricted-imports']);
  });

  it('a domain module still may not import local/', async () => {
    expect(await ruleIds('src/mirroring/sample.ts', IMPORT_LOCAL)).toEqual(['no-restricted-imports']);
  });

  it('handlers, adapters and other domain modules may import adapters and the domain', async () => {
    expect(await ruleIds('functions/sample.ts', IMPORT_EC2_ADAPTER.replace('../aws', '../src/aws'))).toEqual([]);
    expect(await ruleIds('functions/sample.ts', IMPORT_DOMAIN.replace('../mirroring', '../src/mirroring'))).toEqual([]);
    expect(await ruleIds('src/aws/sample.ts', IMPORT_SDK)).toEqual([]);
    expect(await ruleIds('src/detections/sample.ts', IMPORT_DOMAIN)).toEqual([]);
  });
});

describe('no JavaScript source outside thin entry points', () => {
  const MODULE = 'export const answer = 42;\n';

  it.each(['deploy/stack.js', 'src/mirroring/sample.js', 'scripts/new-tool.mjs', 'iam/other.cjs'])(
    '%s is refused',
    async (path) => {
      expect(await ruleIds(path, MODULE)).toEqual(['no-restricted-syntax']);
    },
  );

  it('the listed entry points and tool configurations are allowed', async () => {
    expect(await ruleIds('bin/autotap.js', MODULE)).toEqual([]);
    expect(await ruleIds('jest.config.js', MODULE)).toEqual([]);
  });

  it('an entry point that grows beyond a hand-over is refused', async () => {
    const long = Array.from({ length: 40 }, (_, i) => `export const step${i} = ${i};`).join('\n');
    expect(await ruleIds('bin/autotap.js', long)).toEqual(['max-lines']);
  });
});
