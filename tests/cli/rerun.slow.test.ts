import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../src/config/load.ts';
import { startLocalAutotap, type LocalAutotap } from '../../local/environment.ts';

/**
 * `autotap rerun` as a user runs it: a child process of bin/autotap.js, reaching the emulated Step
 * Functions API of this test process through AWS_ENDPOINT_URL_SFN, which runs the real definition
 * with the real handlers against the emulated EC2.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const node = path.join(root, 'node_modules', '.bin', 'node');
const cli = path.join(root, 'bin', 'autotap.js');

const config = parseConfig({ mirroring: { filterId: 'tmf-0f1', targets: [{ id: 'tmt-0a1' }] } });
const seed = {
  targets: [{ id: 'tmt-0a1', type: 'network-load-balancer' as const }],
  filters: [{ id: 'tmf-0f1' }],
  instances: [
    {
      id: 'i-0a1',
      availabilityZone: 'us-east-1a',
      networkInterfaces: [{ id: 'eni-0a1' }, { id: 'eni-0a2', deviceIndex: 1 }],
    },
    {
      id: 'i-0b1',
      availabilityZone: 'us-east-1a',
      tags: { 'autotap:mirror': 'false' },
      networkInterfaces: [{ id: 'eni-0b1' }],
    },
  ],
};

let local: LocalAutotap;
let home: string;
beforeEach(async () => {
  local = await startLocalAutotap(seed, config);
  home = mkdtempSync(path.join(os.tmpdir(), 'autotap-rerun-home-'));
});
afterEach(async () => {
  await local.close();
  rmSync(home, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** A clean environment: only what the test gives, no profile, no instance metadata. */
function baseEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: home,
    AWS_CONFIG_FILE: path.join(home, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    NODE_OPTIONS: '',
  };
}

function emulatedAws(): NodeJS.ProcessEnv {
  const env = local.emulator.env();
  return {
    ...baseEnv(),
    AWS_ENDPOINT_URL_SFN: env.AWS_ENDPOINT_URL_SFN,
    AWS_REGION: env.AWS_REGION,
    AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY,
  };
}

/** Asynchronous on purpose: the emulator in this process must keep answering while the child runs. */
function autotap(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(node, [cli, ...args], { cwd: root, env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

const EXECUTION_ARN =
  /^Execution: (arn:aws:states:us-east-1:123456789012:execution:autotap-dev-mirror-instances:[A-Za-z0-9_-]+)$/m;

describe('autotap rerun', () => {
  test("starts the stage's mirror-instances for an instance and prints the execution ARN and its console link", async () => {
    const run = await autotap(['rerun', '--instance', 'i-0a1'], emulatedAws());
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const arn = EXECUTION_ARN.exec(run.stdout)?.[1];
    expect(arn).toBeDefined();
    expect(run.stdout).toContain(
      `Console:   https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/${arn}`,
    );
    await local.emulator.settleExecutions();
    expect(
      local.emulator
        .sessions()
        .map((s) => s.networkInterfaceId)
        .sort(),
    ).toEqual(['eni-0a1', 'eni-0a2']);
    // The execution ran with the console's input form and under the printed ARN.
    expect(local.emulator.events().map((e) => (e.detail as { executionArn?: string }).executionArn)).toEqual([
      arn,
      arn,
    ]);
  });

  test('--wait prints the per-ENI outcome table', async () => {
    const run = await autotap(['rerun', '--instance', 'i-0a1', '--instance', 'i-0b1', '--wait'], emulatedAws());
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Status: SUCCEEDED');
    const lines = run.stdout.split('\n');
    const header = lines.findIndex((l) => /^instance\s+ENI\s+outcome\s+reason/.test(l));
    expect(header).toBeGreaterThan(0);
    const rows = lines.slice(header + 2).filter((l) => l.trim() !== '');
    const sessions = local.emulator.sessions();
    expect(rows.map((r) => r.split(/\s+/).slice(0, 4))).toEqual(
      expect.arrayContaining([
        ['i-0a1', 'eni-0a1', 'created', expect.any(String)],
        ['i-0a1', 'eni-0a2', 'created', expect.any(String)],
        ['i-0b1', 'eni-0b1', 'skipped', 'excluded-by-tag'],
      ]),
    );
    expect(rows).toHaveLength(3);
    for (const s of sessions) expect(run.stdout).toContain(s.trafficMirrorSessionId);
  });

  test('--eni --dry-run --wait --json: creates nothing and reports what would be created', async () => {
    const run = await autotap(['rerun', '--eni', 'eni-0a2', '--dry-run', '--wait', '--json'], emulatedAws());
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as {
      executionArn: string;
      consoleUrl: string;
      input: unknown;
      status: string;
      output: { results: { networkInterfaceId: string; outcome: string; reason: string }[] };
    };
    expect(report.input).toEqual({ networkInterfaceIds: ['eni-0a2'], dryRun: true });
    expect(report.status).toBe('SUCCEEDED');
    expect(report.consoleUrl).toBe(
      `https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/${report.executionArn}`,
    );
    expect(report.output.results).toEqual([
      expect.objectContaining({ networkInterfaceId: 'eni-0a2', outcome: 'skipped', reason: 'dry-run' }),
    ]);
    expect(local.emulator.sessions()).toEqual([]);
    expect(local.emulator.successfulCalls().CreateTrafficMirrorSession).toBeUndefined();
  });

  test.each([
    [['--instance', 'abc'], /--instance "abc" is not an instance id/],
    [['--eni', 'i-0a1'], /--eni "i-0a1" is not a network interface id/],
    [[], /give --instance i-\.\.\. or --eni eni-\.\.\./],
    [['--instance', 'i-0a1', '--eni', 'eni-0a1'], /either --instance or --eni/],
  ])('refuses %j with a message naming the flag, and starts nothing', async (flags, message) => {
    const run = await autotap(['rerun', ...flags], emulatedAws());
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toContain('usage: autotap');
    expect(run.stdout).toBe('');
    expect(local.emulator.calls().StartExecution).toBeUndefined();
  });

  test('without credentials: a clear message and exit 2 (could not run)', async () => {
    const { AWS_ACCESS_KEY_ID: _key, AWS_SECRET_ACCESS_KEY: _secret, ...env } = emulatedAws();
    const run = await autotap(['rerun', '--instance', 'i-0a1'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no AWS credentials');
    expect(local.emulator.calls().ListStateMachines).toBeUndefined();
  });

  test('without a region: a clear message and exit 2 (could not run)', async () => {
    const { AWS_REGION: _region, ...env } = emulatedAws();
    const run = await autotap(['rerun', '--instance', 'i-0a1'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no AWS region');
  });

  test('an undeployed stage: a message naming the stage and the expected state machine', async () => {
    const run = await autotap(['rerun', '--instance', 'i-0a1', '--stage', 'prod'], emulatedAws());
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no state machine autotap-prod-mirror-instances in us-east-1');
    expect(run.stderr).toContain('stage "prod"');
    expect(local.emulator.calls().StartExecution).toBeUndefined();
  });

  test('a failed execution exits 1 (ran, and failed) with the error', async () => {
    const run = await autotap(['rerun', '--instance', 'i-0a1', '--wait'], { ...emulatedAws() });
    expect(run.code).toBe(0);
    // A second state machine that fails, on the same emulated API, shows the error path.
    local.emulator.defineStateMachine('autotap-qa-mirror-instances', async () => ({
      status: 'FAILED',
      error: 'InvalidInput',
      cause: 'instanceIds[0]: bad',
    }));
    const failed = await autotap(['rerun', '--instance', 'i-0a1', '--wait', '--stage', 'qa'], emulatedAws());
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('Status: FAILED');
    expect(failed.stdout).toContain('Error: InvalidInput: instanceIds[0]: bad');
  });
});
