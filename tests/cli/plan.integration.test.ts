import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { jest } from '@jest/globals';
import { stringify } from 'yaml';
import { scenarioPlanCommand } from '../../local/commands.ts';
import { startLocalAutotap } from '../../local/environment.ts';
import { parseConfig } from '../../src/config/load.ts';

/** `autotap plan --scenario FILE`: the reconciler's decisions against an emulated account. */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const scenario = {
  config: { mirroring: { filterId: 'tmf-0f1', targets: [{ id: 'tmt-0a1' }] } },
  targets: [{ id: 'tmt-0a1', type: 'network-load-balancer' as const }],
  filters: [{ id: 'tmf-0f1' }],
  instances: [
    { id: 'i-0a1', instanceType: 'm5.large', networkInterfaces: [{ id: 'eni-0a1' }] },
    { id: 'i-0b1', instanceType: 't2.micro', networkInterfaces: [{ id: 'eni-0b1' }] },
    { id: 'i-0c1', instanceType: 'm8g.large', networkInterfaces: [{ id: 'eni-0c1' }] },
    { id: 'i-0d1', instanceType: 'c5.metal', networkInterfaces: [{ id: 'eni-0d1' }] },
  ],
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'autotap-plan-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  jest.restoreAllMocks();
});

async function plan(extra: string[], planned: Record<string, unknown> = scenario): Promise<string> {
  const file = path.join(dir, 'scenario.yml');
  writeFileSync(file, stringify(planned));
  let out = '';
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  expect(await scenarioPlanCommand(['--scenario', file, ...extra], root)).toBe(0);
  return out;
}

test('instance types AWS does not support are shown as skip, unsupported, not create', async () => {
  const { actions } = JSON.parse(await plan(['--json'])) as {
    actions: { action: string; networkInterfaceId: string; reason?: string }[];
  };
  const byEni = Object.fromEntries(actions.map((a) => [a.networkInterfaceId, `${a.action} ${a.reason ?? ''}`]));
  expect(byEni).toEqual({
    'eni-0a1': 'create not-mirrored',
    'eni-0b1': 'skip unsupported',
    'eni-0c1': 'skip unsupported',
    'eni-0d1': 'skip unsupported',
  });
});

test('the table shows the same', async () => {
  const text = await plan([]);
  expect(text).toMatch(/skip\s+i-0b1\s+eni-0b1\s+unsupported/);
  expect(text).toContain('skip: 3, create: 1');
});

test('the running fleet is counted per skip reason, with the unsupported families, and a WARN when most is unsupported', async () => {
  const { coverage } = JSON.parse(await plan(['--json'])) as {
    coverage: { running: unknown; eligible: unknown; skipped: unknown[]; unsupportedFamilies: unknown[] };
  };
  expect(coverage).toMatchObject({
    running: { instances: 4, enis: 4 },
    eligible: { instances: 1, enis: 1 },
    skipped: [{ reason: 'unsupported', instances: 3, enis: 3 }],
    unsupportedFamilies: [
      { family: 'c5', instances: 1 },
      { family: 'm8g', instances: 1 },
      { family: 't2', instances: 1 },
    ],
  });
  const text = await plan([]);
  expect(text).toMatch(/skipped because\s+instances\s+ENIs/);
  expect(text).toMatch(/unsupported\s+3\s+3/);
  expect(text).toContain(
    'WARN most of the in-scope fleet is of instance types Traffic Mirroring does not support: 3 of 4 in-scope ENIs (75%, 3 instances: c5 1, m8g 1, t2 1) are skipped',
  );
});

test('--instance plans only those instances, as the reconcile a tag change starts; a bad id is a usage error', async () => {
  const { actions } = JSON.parse(await plan(['--json', '--instance', 'i-0a1', '--instance', 'i-0b1'])) as {
    actions: { networkInterfaceId: string; action: string }[];
  };
  expect(actions.map((a) => `${a.action} ${a.networkInterfaceId}`).sort()).toEqual(['create eni-0a1', 'skip eni-0b1']);
  await expect(plan(['--instance', 'web-1'])).rejects.toThrow(
    'plan: --instance web-1: expected an instance id (i-...)',
  );
});

test("plan and reconcile agree on other services' ENIs: the same creates and skips, and their counts", async () => {
  const service = (id: string, requesterId: string, extra: Record<string, unknown> = {}) => ({
    id,
    requesterId,
    availabilityZone: 'us-east-1a',
    ...extra,
  });
  const sources = {
    loadBalancers: { enabled: true },
    requesterManaged: { enabled: true, requesterIds: ['amazon-rds'] },
  };
  const withServices = {
    ...scenario,
    config: { mirroring: { ...scenario.config.mirroring, sources } },
    networkInterfaces: [
      service('eni-0e1', 'amazon-elb', { description: 'ELB app/web/50dc6c495c0c9188' }),
      service('eni-0d8a', 'amazon-rds'),
      service('eni-0d8b', 'amazon-rds', { interfaceType: 'vpc_endpoint' }),
      service('eni-0f1', 'amazon-elasticache'),
    ],
  };
  const planned = JSON.parse(await plan(['--json'], withServices)) as {
    actions: { action: string; networkInterfaceId: string; reason?: string }[];
    coverage: { running: unknown; loadBalancerEnis: number; requesterManagedEnis: number };
  };
  const shown = (actions: { action: string; networkInterfaceId: string; reason?: string }[]) =>
    actions.map((a) => `${a.action} ${a.networkInterfaceId} ${a.reason ?? ''}`).sort();
  expect(shown(planned.actions)).toEqual([
    'create eni-0a1 not-mirrored',
    'create eni-0d8a not-mirrored',
    'create eni-0e1 not-mirrored',
    'skip eni-0b1 unsupported',
    'skip eni-0c1 unsupported',
    'skip eni-0d1 unsupported',
    'skip eni-0d8b interface-type',
  ]);
  expect(planned.coverage).toMatchObject({
    running: { instances: 4, enis: 7 },
    loadBalancerEnis: 1,
    requesterManagedEnis: 2,
  });
  const { config: raw, ...seed } = withServices;
  const local = await startLocalAutotap(seed, parseConfig(raw));
  try {
    const run = await local.run('reconcile', {});
    expect(
      shown((run.output as { actions: { action: string; networkInterfaceId: string; reason?: string }[] }).actions),
    ).toEqual(shown(planned.actions));
  } finally {
    await local.close();
  }
  expect(await plan([], withServices)).toContain(
    'Running: 4 instances, 7 ENIs (1 of load balancers, 2 of other services)',
  );
});
