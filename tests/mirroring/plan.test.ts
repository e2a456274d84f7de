import { planInterfaces, type InterfacePlanInput } from '../../src/mirroring/plan.ts';
import { mirroringWith, instance, session, target } from './fixtures.ts';

const TARGET = 'tmt-aaaaaaaaaaaaaaaa1';

function plan(overrides: Partial<InterfacePlanInput>) {
  return planInterfaces({
    config: mirroringWith(),
    instances: [instance()],
    missingInstanceIds: [],
    missingNetworkInterfaceIds: [],
    interfaceSessions: [],
    targetSessions: [],
    accountTargets: [target({ trafficMirrorTargetId: TARGET })],
    dryRun: false,
    ...overrides,
  });
}

describe('planInterfaces', () => {
  it('plans one attachment per eligible ENI, in device order, with number, target and filter', () => {
    const twoEnis = instance({
      networkInterfaces: [
        { networkInterfaceId: 'eni-02', interfaceType: 'interface', deviceIndex: 1 },
        { networkInterfaceId: 'eni-01', interfaceType: 'interface', deviceIndex: 0 },
      ],
    });
    const result = plan({ instances: [twoEnis] });
    expect(result.results).toEqual([]);
    expect(
      result.attachments.map((a) => [
        a.networkInterfaceId,
        a.sessionNumber,
        a.trafficMirrorTargetId,
        a.trafficMirrorFilterId,
      ]),
    ).toEqual([
      ['eni-01', 1, TARGET, 'tmf-0123456789abcdef0'],
      ['eni-02', 1, TARGET, 'tmf-0123456789abcdef0'],
    ]);
    expect(result.attachments[0]?.launchTime).toBe('2026-11-11T21:29:50.000Z');
  });

  it("gives the ENIs of an override's instances its filter and packet length, the others the section's", () => {
    const config = mirroringWith({
      packetLength: 4000,
      overrides: [
        { name: 'dns-http-only', tags: { tier: 'web' }, filterId: 'tmf-00000000000000d01', packetLength: 128 },
      ],
    });
    const web = instance({ instanceId: 'i-web', tags: { tier: 'web' } });
    const db = instance({
      instanceId: 'i-db',
      tags: { tier: 'db' },
      networkInterfaces: [{ networkInterfaceId: 'eni-db', interfaceType: 'interface', deviceIndex: 0 }],
    });
    const result = plan({ config, instances: [web, db] });
    expect(result.attachments.map((a) => [a.instanceId, a.trafficMirrorFilterId, a.packetLength, a.override])).toEqual([
      ['i-web', 'tmf-00000000000000d01', 128, 'dns-http-only'],
      ['i-db', config.filterId, 4000, undefined],
    ]);
  });

  it("gives an ENI its VPC's own VNI (virtualNetworkIds), and others none, leaving them virtualNetworkId", () => {
    const config = mirroringWith({ virtualNetworkId: 7, virtualNetworkIds: { 'vpc-0a1': 101, 'vpc-0b2': 202 } });
    const inVpc = (id: string, vpcId: string, where: 'eni' | 'instance') =>
      instance({
        instanceId: `i-${id}`,
        ...(where === 'instance' ? { vpcId } : {}),
        networkInterfaces: [
          {
            networkInterfaceId: `eni-${id}`,
            interfaceType: 'interface',
            deviceIndex: 0,
            ...(where === 'eni' ? { vpcId } : {}),
          },
        ],
      });
    const result = plan({
      config,
      instances: [inVpc('01', 'vpc-0a1', 'eni'), inVpc('02', 'vpc-0b2', 'instance'), inVpc('03', 'vpc-0c3', 'eni')],
    });
    expect(result.attachments.map((a) => [a.networkInterfaceId, a.virtualNetworkId])).toEqual([
      ['eni-01', 101],
      ['eni-02', 202],
      ['eni-03', undefined],
    ]);
  });

  it('recognizes its own session, by tag or by target, and never adds a second', () => {
    const tagged = session({ tags: { 'autotap:managed': 'true' }, sessionNumber: 4 });
    expect(plan({ interfaceSessions: [tagged] }).results).toEqual([
      expect.objectContaining({
        outcome: 'already-mirrored',
        trafficMirrorSessionId: tagged.trafficMirrorSessionId,
        sessionNumber: 4,
      }),
    ]);
    const toOurTarget = session({ trafficMirrorTargetId: TARGET });
    expect(plan({ interfaceSessions: [toOurTarget] }).results[0]?.outcome).toBe('already-mirrored');
  });

  it("an organization's place: targets of other Regions are not missing, unless the place sees none", () => {
    const OTHER = 'tmt-bbbbbbbbbbbbbbbb2';
    const config = mirroringWith({ targets: [{ id: TARGET }, { id: OTHER }] });
    // A single account: a configured target it lacks is reported.
    expect(plan({ config }).missingTargets).toEqual([OTHER]);
    // An organization's place in the first target's Region: the other target is another Region's.
    expect(plan({ config, targetsInOtherRegions: true }).missingTargets).toEqual([]);
    // A place that sees none of them needs a human all the same.
    expect(plan({ config, accountTargets: [], targetsInOtherRegions: true }).missingTargets).toEqual([TARGET, OTHER]);
  });

  it('works around sessions of other tools and stops at three', () => {
    const other = session({ sessionNumber: 1 });
    expect(plan({ interfaceSessions: [other] }).attachments[0]).toMatchObject({
      sessionNumber: 2,
      usedSessionNumbers: [1],
    });
    const three = [1, 2, 3].map((n) => session({ sessionNumber: n }));
    expect(plan({ interfaceSessions: three }).results).toEqual([
      expect.objectContaining({ outcome: 'skipped', reason: 'session-limit' }),
    ]);
  });

  it('reports missing instances, ENIs and configured targets, and dry runs carry the flag', () => {
    const result = plan({
      missingInstanceIds: ['i-0dead'],
      missingNetworkInterfaceIds: ['eni-0dead'],
      accountTargets: [],
      dryRun: true,
    });
    expect(result.missingTargets).toEqual([TARGET]);
    expect(result.results).toEqual([
      { instanceId: 'i-0dead', networkInterfaceId: '', outcome: 'skipped', reason: 'not-found' },
      { instanceId: '', networkInterfaceId: 'eni-0dead', outcome: 'skipped', reason: 'not-found' },
      expect.objectContaining({ outcome: 'skipped', reason: 'no-target' }),
    ]);
    expect(plan({ dryRun: true }).attachments[0]?.dryRun).toBe(true);
  });

  it('skips the ENI behind a mirror target and excluded instances', () => {
    const eniTarget = target({
      trafficMirrorTargetId: 'tmt-0b',
      kind: 'network-interface',
      networkInterfaceId: 'eni-0a1b2c3d4e5f60001',
    });
    expect(plan({ accountTargets: [target({ trafficMirrorTargetId: TARGET }), eniTarget] }).results[0]?.reason).toBe(
      'is-mirror-target',
    );
    expect(plan({ instances: [instance({ tags: { 'autotap:mirror': 'false' } })] }).results[0]?.reason).toBe(
      'excluded-by-tag',
    );
  });
});
