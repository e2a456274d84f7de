import { readFileSync } from 'node:fs';
import { parseConfig } from '../../src/config/load.ts';
import { startLocalAutotap, type LocalAutotap } from '../../local/environment.ts';

/**
 * Overrides of filter and packet length (`mirroring.overrides`) through the real definitions on the
 * local AWS: mirror-instances creates each session with its instance's choice, and reconcile moves
 * sessions that differ (filter, packet length, back to whole packets, VNI) with ModifyTrafficMirrorSession.
 */

const WEB_FILTER = 'tmf-0d1';
const config = parseConfig({
  mirroring: {
    filterId: 'tmf-0f1',
    targets: [{ id: 'tmt-0a1' }],
    packetLength: 4000,
    virtualNetworkIds: { 'vpc-0a1': 101 },
    overrides: [
      { name: 'dns-http-only', tags: { tier: 'web' }, filterId: WEB_FILTER, packetLength: 128 },
      { name: 'whole-packets', tags: { capture: 'full' }, packetLength: null },
    ],
  },
});
const instances = (
  [
    ['i-0a1', { tier: 'web' }],
    ['i-0b2', { tier: 'db' }],
    ['i-0c3', { capture: 'full' }],
  ] as const
).map(([id, tags]) => ({
  id,
  availabilityZone: 'us-east-1a',
  vpcId: 'vpc-0a1',
  tags,
  networkInterfaces: [{ id: id.replace('i-', 'eni-') }],
}));
const seed = {
  targets: [{ id: 'tmt-0a1', type: 'network-load-balancer' as const }],
  filters: [{ id: 'tmf-0f1' }, { id: WEB_FILTER }],
  instances,
};

let local: LocalAutotap;
afterEach(async () => {
  await local?.close();
});

const byEni = () =>
  Object.fromEntries(
    local.emulator
      .sessions()
      .map((s) => [s.networkInterfaceId, [s.trafficMirrorFilterId, s.packetLength ?? null, s.virtualNetworkId]]),
  );
const expected = {
  'eni-0a1': [WEB_FILTER, 128, 101],
  'eni-0b2': ['tmf-0f1', 4000, 101],
  'eni-0c3': ['tmf-0f1', null, 101],
};

test("mirror-instances creates each session with its instance's override, or the section's choice", async () => {
  local = await startLocalAutotap(seed, config);
  const running = JSON.parse(
    readFileSync(new URL('../../events/ec2-instance-running.json', import.meta.url), 'utf8'),
  ) as { detail: Record<string, unknown> };
  for (const { id } of instances)
    expect(
      (await local.run('mirror-instances', { ...running, detail: { ...running.detail, 'instance-id': id } })).status,
    ).toBe('SUCCEEDED');
  expect(byEni()).toEqual(expected);
});

test('reconcile modifies sessions that differ, and the next reconcile finds nothing to do', async () => {
  const managed = (instanceId: string) => ({ 'autotap:managed': 'true', 'autotap:instance-id': instanceId });
  local = await startLocalAutotap(
    {
      ...seed,
      sessions: [
        // The tag came later: still the section's filter and packet length.
        {
          networkInterfaceId: 'eni-0a1',
          targetId: 'tmt-0a1',
          filterId: 'tmf-0f1',
          sessionNumber: 1,
          packetLength: 4000,
          virtualNetworkId: 101,
          tags: managed('i-0a1'),
        },
        // Created before packetLength was set, in another VNI.
        {
          networkInterfaceId: 'eni-0b2',
          targetId: 'tmt-0a1',
          filterId: 'tmf-0f1',
          sessionNumber: 1,
          virtualNetworkId: 9,
          tags: managed('i-0b2'),
        },
        // Truncated, where its override asks for whole packets.
        {
          networkInterfaceId: 'eni-0c3',
          targetId: 'tmt-0a1',
          filterId: 'tmf-0f1',
          sessionNumber: 1,
          packetLength: 96,
          virtualNetworkId: 101,
          tags: managed('i-0c3'),
        },
      ],
    },
    config,
  );
  const first = await local.run('reconcile', {});
  expect(first.status).toBe('SUCCEEDED');
  expect(first.output).toMatchObject({
    counts: { modified: 3 },
    actions: expect.arrayContaining([
      expect.objectContaining({ networkInterfaceId: 'eni-0a1', override: 'dns-http-only', packetLength: 128 }),
      expect.objectContaining({ networkInterfaceId: 'eni-0b2', reason: 'packet-length-changed,vni-changed' }),
      expect.objectContaining({ networkInterfaceId: 'eni-0c3', packetLength: null, override: 'whole-packets' }),
    ]),
  });
  expect(byEni()).toEqual(expected);
  expect(local.emulator.sessions()).toHaveLength(3);
  const second = await local.run('reconcile', {});
  expect(second.status).toBe('SUCCEEDED');
  expect(second.output).toMatchObject({ counts: {}, actions: [] });
});
