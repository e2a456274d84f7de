import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { jest } from '@jest/globals';
import { stringify } from 'yaml';
import { UsageError } from '../../cli/errors.ts';
import {
  adapterAccount,
  runUninstall,
  uninstallCommand,
  type UninstallReport,
  type UninstallTerminal,
} from '../../cli/uninstall.ts';
import { parseConfig } from '../../src/config/load.ts';
import { INSTANCE_TAG, MANAGED_TAG } from '../../src/mirroring/types.ts';
import { STAGE_TAG } from '../../src/mirroring/uninstall.ts';
import type { EmulatedSession } from '../../local/emulator/index.ts';
import { scenarioUninstallCommand } from '../../local/commands.ts';
import { startLocalAutotap, type LocalAutotap } from '../../local/environment.ts';
import { captureOutput } from './capture.ts';

/**
 * `autotap uninstall` on the local AWS: the sessions autotap's own workflow created go, every other
 * session stays as it was, throttled deletes are waited out, and a second run has nothing to do.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const config = parseConfig({ mirroring: { filterId: 'tmf-0f1', targets: [{ id: 'tmt-0a1' }] } });
const INSTANCES = 6;
const hex = (i: number) => (0x1000 + i).toString(16);
const CREATING_RULES = [
  'autotap-dev-instance-running',
  'autotap-dev-interface-attached',
  'autotap-dev-reconcile-schedule',
];

let local: LocalAutotap;
let foreign: EmulatedSession[];

beforeEach(async () => {
  local = await startLocalAutotap(
    {
      targets: [
        { id: 'tmt-0a1', type: 'network-load-balancer' },
        { id: 'tmt-0b1', type: 'network-load-balancer' },
      ],
      filters: [{ id: 'tmf-0f1' }],
      instances: Array.from({ length: INSTANCES }, (_, i) => ({
        id: `i-${hex(i)}`,
        networkInterfaces: [{ id: `eni-${hex(i)}` }],
      })),
      eventRules: [...CREATING_RULES, 'autotap-dev-instance-stopped', 'autotap-prod-instance-running'].map((name) => ({
        name,
        state: 'ENABLED' as const,
      })),
    },
    config,
  );
  // autotap's sessions, made by its own reconciler.
  const run = await local.run('reconcile', {});
  expect(run.status).toBe('SUCCEEDED');
  expect(local.emulator.sessions().filter((s) => s.tags[MANAGED_TAG] === 'true')).toHaveLength(INSTANCES);
  // Sessions of others, on the same ENIs.
  const other = { targetId: 'tmt-0b1', filterId: 'tmf-0f1' };
  const ids = [
    local.emulator.addSession({ ...other, networkInterfaceId: `eni-${hex(0)}`, sessionNumber: 5, tags: {} }),
    local.emulator.addSession({
      ...other,
      networkInterfaceId: `eni-${hex(1)}`,
      sessionNumber: 5,
      tags: { [MANAGED_TAG]: 'true', [STAGE_TAG]: 'prod' },
    }),
    local.emulator.addSession({
      ...other,
      networkInterfaceId: `eni-${hex(2)}`,
      sessionNumber: 5,
      description: `autotap: i-${hex(2)}`,
      tags: {},
    }),
    local.emulator.addSession({
      ...other,
      networkInterfaceId: `eni-${hex(3)}`,
      sessionNumber: 5,
      description: `autotap: i-${hex(3)}`,
      tags: { [INSTANCE_TAG]: `i-${hex(3)}`, [MANAGED_TAG]: 'false' },
    }),
  ];
  foreign = local.emulator.sessions().filter((s) => ids.includes(s.trafficMirrorSessionId));
  expect(foreign).toHaveLength(4);
});

afterEach(async () => {
  await local.close();
  jest.restoreAllMocks();
});

function terminal(answer = false): UninstallTerminal & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return {
    out: (text) => void (out += text),
    err: (text) => void (err += text),
    confirm: async () => answer,
    stdout: () => out,
    stderr: () => err,
  };
}

const options = { stage: 'dev', dryRun: false, yes: true, force: false, json: true };
const autotapSessions = () =>
  local.emulator.sessions().filter((s) => s.tags[MANAGED_TAG] === 'true' && s.tags[STAGE_TAG] === undefined);
const disableCreatingRules = () => CREATING_RULES.forEach((name) => local.emulator.putEventRule(name, 'DISABLED'));

it("refuses while the stage's session-creating rules are enabled, unless forced", async () => {
  const t = terminal();
  expect(await runUninstall(options, adapterAccount(), t)).toBe(2);
  expect(t.stderr()).toContain(
    'autotap-dev-instance-running, autotap-dev-interface-attached, autotap-dev-reconcile-schedule',
  );
  expect(t.stderr()).toContain('serverless remove --stage dev');
  expect(autotapSessions()).toHaveLength(INSTANCES);
  expect(local.emulator.calls().DeleteTrafficMirrorSession).toBeUndefined();

  expect(await runUninstall({ ...options, force: true }, adapterAccount(), terminal())).toBe(0);
  expect(autotapSessions()).toEqual([]);
});

it('a dry run lists what it would delete and deletes nothing', async () => {
  const t = terminal();
  expect(await runUninstall({ ...options, dryRun: true }, adapterAccount(), t)).toBe(0);
  const report = JSON.parse(t.stdout()) as UninstallReport;
  expect(report.sessions.map((s) => s.instanceId).sort()).toEqual(
    Array.from({ length: INSTANCES }, (_, i) => `i-${hex(i)}`),
  );
  expect(report.sessions.every((s) => s.outcome === 'planned')).toBe(true);
  expect(report.kept).toEqual({ 'not-autotap': 3, 'other-stage': 1 });
  expect(report.enabledRules).toHaveLength(3);
  expect(autotapSessions()).toHaveLength(INSTANCES);
});

it('without a confirmation nothing is deleted', async () => {
  disableCreatingRules();
  const t = terminal(false);
  expect(await runUninstall({ ...options, yes: false }, adapterAccount(), t)).toBe(2);
  expect(t.stderr()).toContain('nothing deleted');
  expect(autotapSessions()).toHaveLength(INSTANCES);
});

it("after the stack is gone, deletes autotap's sessions through throttling, leaves every other one, and is done on the second run", async () => {
  disableCreatingRules();
  // Half the deletes are throttled (RequestLimitExceeded), more often than the SDK's own 3 attempts absorb.
  local.emulator.setFaults({ throttle: { rate: 0.5, actions: ['DeleteTrafficMirrorSession'], seed: 3 } });
  const pauses: number[] = [];
  const t = terminal();
  const code = await runUninstall(options, { ...adapterAccount(), sleep: async (ms) => void pauses.push(ms) }, t);
  expect({ code, stderr: t.stderr() }).toEqual({ code: 0, stderr: '' });
  const report = JSON.parse(t.stdout()) as UninstallReport;
  expect(report.counts).toEqual({ deleted: INSTANCES, 'already-gone': 0, failed: 0 });
  expect(local.emulator.calls().DeleteTrafficMirrorSession).toBeGreaterThan(INSTANCES);
  expect(pauses.length).toBeGreaterThan(0);

  expect(autotapSessions()).toEqual([]);
  expect(local.emulator.sessions()).toEqual(foreign);

  // Again, through the command as an operator types it: nothing left to do.
  local.emulator.setFaults({});
  let stdout = '';
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  expect(await uninstallCommand(['--stage', 'dev', '--yes', '--json'], root)).toBe(0);
  expect((JSON.parse(stdout) as UninstallReport).sessions).toEqual([]);
  expect(local.emulator.sessions()).toEqual(foreign);
});

it('names a missing, malformed or mistyped stage, and deletes nothing', async () => {
  disableCreatingRules();
  const before = local.emulator.calls();
  await expect(uninstallCommand(['--yes'], root)).rejects.toThrow(
    new UsageError('uninstall: --stage S is required: the stage whose sessions to delete, e.g. --stage prod'),
  );
  await expect(uninstallCommand(['--stage', 'dev prod', '--yes'], root)).rejects.toThrow(
    '--stage dev prod: no config/dev prod.yml; the stages that exist: dev',
  );
  // Sessions carry no stage and a mistyped stage has no rules to refuse on: it must not reach the account.
  await expect(uninstallCommand(['--stage', 'devv', '--yes', '--force'], root)).rejects.toThrow(
    '--stage devv: no config/devv.yml (did you mean "dev"?)',
  );
  expect(autotapSessions()).toHaveLength(INSTANCES);
  expect(local.emulator.calls()).toEqual(before);
});

it('--scenario FILE runs the same uninstall on a local AWS seeded from the scenario', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'autotap-uninstall-'));
  const scenario = path.join(dir, 'scenario.yml');
  const session = (id: string, tags: Record<string, string>) => ({
    id,
    networkInterfaceId: 'eni-0a1',
    targetId: 'tmt-0a1',
    filterId: 'tmf-0f1',
    sessionNumber: Number(id.slice(-1)),
    tags,
  });
  writeFileSync(
    scenario,
    stringify({
      targets: [{ id: 'tmt-0a1', type: 'network-load-balancer' }],
      filters: [{ id: 'tmf-0f1' }],
      instances: [{ id: 'i-0a1', networkInterfaces: [{ id: 'eni-0a1' }] }],
      sessions: [session('tms-0a0000000000000001', { [MANAGED_TAG]: 'true' }), session('tms-0a0000000000000002', {})],
      eventRules: [{ name: 'autotap-dev-reconcile-schedule', state: 'DISABLED' }],
      events: [],
    }),
  );
  try {
    const { result: code, stdout } = await captureOutput(() =>
      scenarioUninstallCommand(['--stage', 'dev', '--scenario', scenario, '--yes', '--json'], root),
    );
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as UninstallReport;
    expect(report.sessions.map((s) => [s.trafficMirrorSessionId, s.outcome])).toEqual([
      ['tms-0a0000000000000001', 'deleted'],
    ]);
    expect(report.kept).toEqual({ 'not-autotap': 1, 'other-stage': 0 });
    // The account's local AWS of this test is not the scenario's.
    expect(autotapSessions()).toHaveLength(INSTANCES);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
