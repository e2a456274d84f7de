import { candidateTargets, chooseTarget, targetLoads, ZONE_TAG } from '../../src/mirroring/targets.ts';
import { configWith, session, target } from './fixtures.ts';

describe('candidateTargets', () => {
  it('merges configured targets with the account view and discovers tagged ones', () => {
    const config = configWith({
      targets: [{ id: 'tmt-0000000000000000a', availabilityZone: 'us-east-1b', maxSources: 100 }, { id: 'tmt-0000000000000dead' }],
      targetTag: { key: 'autotap:target', value: 'true' },
    }).mirroring;
    const account = [
      target({ trafficMirrorTargetId: 'tmt-0000000000000000a', kind: 'network-interface' }),
      target({ trafficMirrorTargetId: 'tmt-0000000000000000b', kind: 'network-interface', tags: { 'autotap:target': 'true', [ZONE_TAG]: 'us-east-1a' } }),
      target({ trafficMirrorTargetId: 'tmt-0000000000000000c', tags: { 'autotap:target': 'false' } }),
    ];
    const { targets, missing } = candidateTargets(config, account);
    expect(missing).toEqual(['tmt-0000000000000dead']);
    expect(targets.map((t) => [t.trafficMirrorTargetId, t.availabilityZone, t.maxSources])).toEqual([
      ['tmt-0000000000000000a', 'us-east-1b', 100],
      ['tmt-0000000000000000b', 'us-east-1a', 10],
    ]);
  });
});

describe('chooseTarget', () => {
  const a = target({ trafficMirrorTargetId: 'tmt-a', availabilityZone: 'us-east-1a', kind: 'network-interface', maxSources: 2 });
  const b = target({ trafficMirrorTargetId: 'tmt-b', availabilityZone: 'us-east-1b', kind: 'network-interface', maxSources: 2 });
  const nlb = target({ trafficMirrorTargetId: 'tmt-c' });

  it('prefers the ENI zone, then the least loaded, ties by id', () => {
    const loads = targetLoads([]);
    expect(chooseTarget('us-east-1b', 'eni-1', [a, b], loads, 'prefer-same')).toEqual({ trafficMirrorTargetId: 'tmt-b', alternativeTargetIds: ['tmt-a'] });
    const twoIn1a = [a, { ...a, trafficMirrorTargetId: 'tmt-a2' }];
    expect(chooseTarget('us-east-1a', 'eni-2', twoIn1a, targetLoads([session({ trafficMirrorTargetId: 'tmt-a' })]), 'prefer-same')).toMatchObject({
      trafficMirrorTargetId: 'tmt-a2',
    });
    // A load balancer does not fill up: it goes before an ENI target of the same zone.
    expect(chooseTarget('us-east-1a', 'eni-3', [a, nlb], targetLoads([]), 'prefer-same')).toMatchObject({ trafficMirrorTargetId: 'tmt-c' });
  });

  it('spreads a batch over ENI targets by counting its own choices', () => {
    const loads = targetLoads([]);
    const a2 = { ...a, trafficMirrorTargetId: 'tmt-a2', maxSources: 10 };
    const picks = ['eni-1', 'eni-2', 'eni-3', 'eni-4'].map((eni) => chooseTarget('us-east-1a', eni, [{ ...a, maxSources: 10 }, a2], loads, 'prefer-same'));
    expect(picks.map((p) => ('trafficMirrorTargetId' in p ? p.trafficMirrorTargetId : p.reason))).toEqual(['tmt-a', 'tmt-a2', 'tmt-a', 'tmt-a2']);
  });

  it('spreads ENIs evenly over load balancers, the same way whatever the loads', () => {
    const nlbs = [target({ trafficMirrorTargetId: 'tmt-n1' }), target({ trafficMirrorTargetId: 'tmt-n2' })];
    const enis = Array.from({ length: 400 }, (_, i) => `eni-${i.toString(16)}`);
    const first = enis.map((eni) => chooseTarget('us-east-1a', eni, nlbs, targetLoads([]), 'prefer-same'));
    const busy = targetLoads(Array.from({ length: 50 }, (_, i) => session({ networkInterfaceId: `eni-x${i}`, trafficMirrorTargetId: 'tmt-n1' })));
    const again = enis.map((eni) => chooseTarget('us-east-1a', eni, nlbs, busy, 'prefer-same'));
    expect(again).toEqual(first);
    const onFirst = first.filter((c) => 'trafficMirrorTargetId' in c && c.trafficMirrorTargetId === 'tmt-n1').length;
    expect(onFirst).toBeGreaterThan(150);
    expect(onFirst).toBeLessThan(250);
  });

  it('falls back across zones only when allowed, and tells full from absent', () => {
    const full = targetLoads([session({ networkInterfaceId: 'eni-x', trafficMirrorTargetId: 'tmt-a' }), session({ networkInterfaceId: 'eni-y', trafficMirrorTargetId: 'tmt-a' })]);
    expect(chooseTarget('us-east-1a', 'eni-1', [a, b], full, 'prefer-same')).toMatchObject({ trafficMirrorTargetId: 'tmt-b' });
    expect(chooseTarget('us-east-1a', 'eni-1', [a, b], full, 'same-only')).toEqual({ reason: 'target-full' });
    expect(chooseTarget('us-east-1c', 'eni-1', [a, b], targetLoads([]), 'same-only')).toEqual({ reason: 'no-target' });
    expect(chooseTarget('us-east-1a', 'eni-x', [a], full, 'same-only')).toMatchObject({ trafficMirrorTargetId: 'tmt-a' });
  });
});
