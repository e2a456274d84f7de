import { readFileSync } from 'node:fs';
import { parseConfig } from '../../src/config/load.ts';
import { startLocalAutotap, type LocalAutotap } from '../../local/environment.ts';

/**
 * A VNI per VPC (`virtualNetworkIds`) through the real definitions on the local AWS: the sessions
 * mirror-instances and reconcile create carry their ENI's VPC's VNI, the other VPCs' the configured
 * `virtualNetworkId`.
 */

const config = parseConfig({
  mirroring: {
    filterId: 'tmf-0f1',
    targets: [{ id: 'tmt-0a1' }],
    virtualNetworkId: 7,
    virtualNetworkIds: { 'vpc-0a1': 101, 'vpc-0b2': 202 },
  },
});
const seed = {
  targets: [{ id: 'tmt-0a1', type: 'network-load-balancer' as const }],
  filters: [{ id: 'tmf-0f1' }],
  instances: (
    [
      ['i-0a1', 'vpc-0a1'],
      ['i-0b2', 'vpc-0b2'],
      ['i-0c3', 'vpc-0c3'],
    ] as const
  ).map(([id, vpcId]) => ({
    id,
    availabilityZone: 'us-east-1a',
    vpcId,
    networkInterfaces: [{ id: id.replace('i-', 'eni-') }],
  })),
};

let local: LocalAutotap;
afterEach(async () => {
  await local?.close();
});

const vnis = () => Object.fromEntries(local.emulator.sessions().map((s) => [s.networkInterfaceId, s.virtualNetworkId]));

test('mirror-instances gives each session the VNI of its VPC, or virtualNetworkId', async () => {
  local = await startLocalAutotap(seed, config);
  const running = JSON.parse(
    readFileSync(new URL('../../events/ec2-instance-running.json', import.meta.url), 'utf8'),
  ) as { detail: Record<string, unknown> };
  for (const id of ['i-0a1', 'i-0b2', 'i-0c3'])
    expect(
      (await local.run('mirror-instances', { ...running, detail: { ...running.detail, 'instance-id': id } })).status,
    ).toBe('SUCCEEDED');
  expect(vnis()).toEqual({ 'eni-0a1': 101, 'eni-0b2': 202, 'eni-0c3': 7 });
});

test('a reconcile backfill chooses the same VNIs', async () => {
  local = await startLocalAutotap(seed, config);
  expect((await local.run('reconcile', {})).status).toBe('SUCCEEDED');
  expect(vnis()).toEqual({ 'eni-0a1': 101, 'eni-0b2': 202, 'eni-0c3': 7 });
});
