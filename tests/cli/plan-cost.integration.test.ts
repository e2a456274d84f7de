import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, test } from '@jest/globals';
import { stringify } from 'yaml';
import { scenarioPlanCommand } from '../../local/commands.ts';
import { captureOutput } from './capture.ts';

/** `autotap plan --scenario FILE`: the cost and blast radius of a plan, on the local AWS. */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// One NLB target, placed in us-east-1a: ENIs of us-east-1b can only reach it across zones.
const scenario = {
  config: {
    mirroring: {
      filterId: 'tmf-0f1',
      targets: [{ id: 'tmt-0a1', availabilityZone: 'us-east-1a' }],
      sessionHourlyPriceUsd: 0.02,
    },
  },
  targets: [{ id: 'tmt-0a1', type: 'network-load-balancer', availabilityZone: 'us-east-1a' }],
  filters: [{ id: 'tmf-0f1' }],
  instances: [
    {
      id: 'i-0a1',
      instanceType: 'm5.large',
      availabilityZone: 'us-east-1a',
      vpcId: 'vpc-0a1',
      networkInterfaces: [{ id: 'eni-0a1' }, { id: 'eni-0a2', deviceIndex: 1 }],
    },
    {
      id: 'i-0b1',
      instanceType: 'm5.large',
      availabilityZone: 'us-east-1b',
      vpcId: 'vpc-0a1',
      networkInterfaces: [{ id: 'eni-0b1' }],
    },
    {
      id: 'i-0c1',
      instanceType: 'c5.xlarge',
      availabilityZone: 'us-east-1b',
      vpcId: 'vpc-0c1',
      networkInterfaces: [{ id: 'eni-0c1' }],
    },
    // Not mirrored (T2), so not counted.
    {
      id: 'i-0d1',
      instanceType: 't2.micro',
      availabilityZone: 'us-east-1a',
      vpcId: 'vpc-0a1',
      networkInterfaces: [{ id: 'eni-0d1' }],
    },
  ],
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'autotap-plan-cost-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function plan(extra: string[]): Promise<string> {
  const file = path.join(dir, 'scenario.yml');
  writeFileSync(file, stringify(scenario));
  const { result, stdout } = await captureOutput(() => scenarioPlanCommand(['--scenario', file, ...extra], root));
  expect(result).toBe(0);
  return stdout;
}

test('--json: the actions as before, and the sessions per VPC and zone with their cost and cross-zone share', async () => {
  const document = JSON.parse(await plan(['--json'])) as {
    actions: { action: string }[];
    cost: Record<string, unknown>;
  };
  expect(document.actions.filter((a) => a.action === 'create')).toHaveLength(4);
  expect(document.cost).toMatchObject({
    sessionHourlyPriceUsd: 0.02,
    create: 4,
    crossZone: 2,
    unknownZone: 0,
    addedHourlyUsd: 0.08,
    addedMonthlyUsd: 58.4,
    sessionsAfter: 4,
    byZone: [
      { vpcId: 'vpc-0a1', availabilityZone: 'us-east-1a', create: 2, crossZone: 0 },
      { vpcId: 'vpc-0a1', availabilityZone: 'us-east-1b', create: 1, crossZone: 1 },
      { vpcId: 'vpc-0c1', availabilityZone: 'us-east-1b', create: 1, crossZone: 1 },
    ],
  });
});

test('the text output ends with the summary table and the cross-zone share', async () => {
  const text = await plan([]);
  expect(text).toMatch(/^vpc-0a1\s+us-east-1b\s+1\s+1\s+\$0\.0200\s+\$14\.60$/m);
  expect(text).toMatch(/^total\s+4\s+2\s+\$0\.0800\s+\$58\.40$/m);
  expect(text).toContain('Cross-zone: 2 of 4 new sessions send to a target in another zone');
});

test('--vpc narrows the plan and its cost to that VPC', async () => {
  const document = JSON.parse(await plan(['--json', '--vpc', 'vpc-0c1'])) as {
    cost: { create: number; byZone: { vpcId: string }[] };
  };
  expect(document.cost.create).toBe(1);
  expect(document.cost.byZone.map((z) => z.vpcId)).toEqual(['vpc-0c1']);
});
