import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { stringify } from 'yaml';
import { startLocalAutotap, type LocalAutotap } from '../../local/environment.ts';
import { parseConfig } from '../../src/config/load.ts';

/**
 * bin/autotap.js as a user runs it: help for every command, the version, the stages that exist,
 * --region and --profile, and what a missing profile is answered with.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const node = path.join(root, 'node_modules', '.bin', 'node');
const cli = path.join(root, 'bin', 'autotap.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let home: string;
beforeAll(() => {
  home = mkdtempSync(path.join(os.tmpdir(), 'autotap-cli-home-'));
  // A profile "ops" with keys and no region; no default profile.
  writeFileSync(path.join(home, 'config'), '[profile ops]\noutput = json\n');
  writeFileSync(
    path.join(home, 'credentials'),
    '[ops]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = secret-for-tests\n',
  );
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** A clean environment: only the given variables, profiles from the test's files, no instance metadata. */
function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: home,
    AWS_CONFIG_FILE: path.join(home, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    NODE_OPTIONS: '',
    ...extra,
  };
}

/** Asynchronous: a local AWS in this process must keep answering while the child runs. */
function autotap(args: string[], extra: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(node, [cli, ...args], { cwd: root, env: env(extra), timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

test('bin/autotap.js answers --help after a local command without running it, and --version', async () => {
  const demo = await autotap(['demo', '-h']);
  expect(demo).toMatchObject({ code: 0, stderr: '' });
  expect(demo.stdout).toMatch(/^usage: autotap demo\n/);
  const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  expect(await autotap(['--version'])).toEqual({ code: 0, stdout: `autotap ${version}\n`, stderr: '' });
});

describe.each([
  ['doctor', ['--stage', 'dev'], '--jsno', '--json'],
  ['uninstall', ['--stage', 'dev', '--yes'], '--dryrun', '--dry-run'],
])('%s as plan and rerun: help, did you mean, profiles', (command, required, typo, meant) => {
  test(`${command} --help and -h print its usage, exit 0`, async () => {
    for (const flag of ['--help', '-h']) {
      const run = await autotap([command, flag]);
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(run.stdout).toMatch(
        new RegExp(`^usage: autotap ${command} --stage S .*\\[--region R\\] \\[--profile P\\]`),
      );
    }
  });

  test(`${command} ${typo} is answered with ${meant}, and nothing is run`, async () => {
    const run = await autotap([command, ...required, typo]);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe(`autotap: ${command}: unknown option ${typo} (did you mean "${meant}"?)`);
    expect(run.stdout).toBe('');
  });

  test(`${command} with AWS_PROFILE=nope names the profile, the files looked in and the profiles there`, async () => {
    const run = await autotap([command, ...required], { AWS_PROFILE: 'nope', AWS_REGION: 'us-east-1' });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `autotap: AWS profile "nope" was not found in ${path.join(home, 'config')} or ${path.join(home, 'credentials')} (profiles there: ops); ` +
        'pass --profile NAME with one of them, or run `aws configure --profile nope`\n',
    );
  });
});

describe('stages and profiles', () => {
  test('a stage without config/<stage>.yml is answered with the stages that exist', async () => {
    const run = await autotap(['plan', '--stage', 'prodd']);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe('autotap: --stage prodd: no config/prodd.yml; the stages that exist: dev');
  });

  test.each([
    ['AWS_PROFILE', ['plan'], { AWS_PROFILE: 'nope', AWS_REGION: 'us-east-1' }],
    ['--profile', ['rerun', '--instance', 'i-0a1', '--profile', 'nope'], {}],
  ])(
    'a profile that does not exist (%s) is named, with the files looked in and the profiles there',
    async (_how, args, extra) => {
      const run = await autotap(args, extra);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(
        `AWS profile "nope" was not found in ${path.join(home, 'config')} or ${path.join(home, 'credentials')} (profiles there: ops)`,
      );
      expect(run.stderr).not.toContain('set AWS_PROFILE');
    },
  );

  test('no region anywhere asks for --region', async () => {
    const run = await autotap(['rerun', '--instance', 'i-0a1'], {
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'x',
    });
    expect(run).toMatchObject({
      code: 2,
      stderr: 'autotap: no AWS region: pass --region R, or set AWS_REGION (or a region in your AWS profile)\n',
    });
  });

  test('a malformed --region is a usage error', async () => {
    const run = await autotap(['plan', '--region', 'us-east-1a']);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe('autotap: --region: expected a region like us-east-1, got "us-east-1a"');
  });
});

describe('--region and --profile reach the account (a local AWS standing in for it)', () => {
  const config = parseConfig({
    mirroring: { filterId: 'tmf-0f1', targets: [{ id: 'tmt-0a1', availabilityZone: 'us-east-1a' }] },
  });
  const seed = {
    targets: [{ id: 'tmt-0a1', type: 'network-load-balancer' as const, availabilityZone: 'us-east-1a' }],
    filters: [{ id: 'tmf-0f1' }],
    instances: [
      { id: 'i-0a1', availabilityZone: 'us-east-1a', vpcId: 'vpc-0a1', networkInterfaces: [{ id: 'eni-0a1' }] },
    ],
  };
  let local: LocalAutotap;
  let configFile: string;
  beforeAll(async () => {
    local = await startLocalAutotap(seed, config);
    configFile = path.join(home, 'stage.yml');
    writeFileSync(
      configFile,
      stringify({ mirroring: { filterId: 'tmf-0f1', targets: [{ id: 'tmt-0a1', availabilityZone: 'us-east-1a' }] } }),
    );
  });
  afterAll(async () => {
    await local.close();
  });
  // Only the endpoints: region and credentials must come from the options.
  const endpoints = () => ({
    AWS_ENDPOINT_URL_SFN: local.emulator.env().AWS_ENDPOINT_URL_SFN,
    AWS_ENDPOINT_URL_EC2: local.emulator.env().AWS_ENDPOINT_URL_EC2,
  });

  test('the profile without a region asks for --region', async () => {
    const run = await autotap(['plan', '--config', configFile, '--profile', 'ops'], endpoints());
    expect(run).toMatchObject({
      code: 2,
      stderr: 'autotap: no AWS region: pass --region R, or set AWS_REGION, or a region in profile "ops"\n',
    });
  });

  test('plan --config FILE --profile P --region R, the account path, prices what it would create', async () => {
    const run = await autotap(
      ['plan', '--config', configFile, '--profile', 'ops', '--region', 'us-east-1', '--json'],
      endpoints(),
    );
    expect(run.stderr).toBe('');
    const { cost } = JSON.parse(run.stdout) as { cost: { byZone: unknown[]; sessionsAfter: number } };
    expect(cost.byZone).toEqual([
      expect.objectContaining({ vpcId: 'vpc-0a1', availabilityZone: 'us-east-1a', create: 1 }),
    ]);
    expect(cost.sessionsAfter).toBe(1);
  });

  test('rerun of a stage not deployed names the stages of the checkout', async () => {
    const run = await autotap(
      ['rerun', '--instance', 'i-0a1', '--stage', 'devv', '--profile', 'ops', '--region', 'us-east-1'],
      endpoints(),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no state machine autotap-devv-mirror-instances in us-east-1');
    expect(run.stderr).toContain('the stages of this checkout: dev (did you mean "dev"?)');
  });

  test('rerun --profile P --region R: credentials of the profile, console link in the region', async () => {
    const run = await autotap(
      ['rerun', '--instance', 'i-0a1', '--profile', 'ops', '--region', 'us-east-1'],
      endpoints(),
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Console: {3}https:\/\/us-east-1\.console\.aws\.amazon\.com\/states\//m);
    await local.emulator.settleExecutions();
    expect(local.emulator.sessions().map((x) => x.networkInterfaceId)).toEqual(['eni-0a1']);
  });
});
