import fc from 'fast-check';
import { candidateTargets, chooseTarget, targetLoads, ZONE_TAG } from '../../src/mirroring/targets.ts';
import { mirroringWith, session, target } from './fixtures.ts';

describe('candidateTargets', () => {
  it('merges configured targets with the account view and discovers tagged ones', () => {
    const config = mirroringWith({
      targets: [
        { id: 'tmt-0000000000000000a', availabilityZone: 'us-east-1b', maxSources: 100 },
        { id: 'tmt-0000000000000dead' },
      ],
      targetTag: { key: 'autotap:target', value: 'true' },
    });
    const account = [
      target({ trafficMirrorTargetId: 'tmt-0000000000000000a', kind: 'network-interface' }),
      target({
        trafficMirrorTargetId: 'tmt-0000000000000000b',
        kind: 'network-interface',
        tags: { 'autotap:target': 'true', [ZONE_TAG]: 'us-east-1a' },
      }),
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
  const a = target({
    trafficMirrorTargetId: 'tmt-a',
    availabilityZone: 'us-east-1a',
    kind: 'network-interface',
    maxSources: 2,
  });
  const b = target({
    trafficMirrorTargetId: 'tmt-b',
    availabilityZone: 'us-east-1b',
    kind: 'network-interface',
    maxSources: 2,
  });
  const nlb = target({ trafficMirrorTargetId: 'tmt-c' });

  it("prefers the ENI zone, then the first target in the ENI's own order that has room", () => {
    const loads = targetLoads([]);
    expect(chooseTarget('us-east-1b', 'eni-1', [a, b], loads, 'prefer-same')).toEqual({
      trafficMirrorTargetId: 'tmt-b',
      alternativeTargetIds: ['tmt-a'],
    });
    const twoIn1a = [a, { ...a, trafficMirrorTargetId: 'tmt-a2' }];
    const first = chooseTarget('us-east-1a', 'eni-2', twoIn1a, targetLoads([]), 'prefer-same');
    if (!('trafficMirrorTargetId' in first)) throw new Error('expected a target');
    const full = targetLoads(
      ['eni-x1', 'eni-x2'].map((eni) =>
        session({ networkInterfaceId: eni, trafficMirrorTargetId: first.trafficMirrorTargetId }),
      ),
    );
    expect(chooseTarget('us-east-1a', 'eni-2', twoIn1a, full, 'prefer-same')).toEqual({
      trafficMirrorTargetId: first.alternativeTargetIds[0],
      alternativeTargetIds: [],
    });
    // A load balancer does not fill up: it goes before an ENI target of the same zone.
    expect(chooseTarget('us-east-1a', 'eni-3', [a, nlb], targetLoads([]), 'prefer-same')).toMatchObject({
      trafficMirrorTargetId: 'tmt-c',
    });
  });

  it('chooses the same ENI target for an ENI whatever the loads, while that target has room', () => {
    const enis = ['tmt-e1', 'tmt-e2', 'tmt-e3'].map((id) => ({ ...a, trafficMirrorTargetId: id, maxSources: 10 }));
    fc.assert(
      fc.property(
        fc.stringMatching(/^[0-9a-f]{1,17}$/),
        fc.array(fc.tuple(fc.constantFrom('tmt-e1', 'tmt-e2', 'tmt-e3'), fc.integer({ min: 0, max: 99 })), {
          maxLength: 30,
        }),
        (eniSuffix, others) => {
          const eni = `eni-${eniSuffix}`;
          const quiet = chooseTarget('us-east-1a', eni, enis, targetLoads([]), 'prefer-same');
          if (!('trafficMirrorTargetId' in quiet)) return false;
          const busy = targetLoads(
            others.map(([target, n]) =>
              session({ networkInterfaceId: `eni-other${n}`, trafficMirrorTargetId: target }),
            ),
          );
          const roomLeft = (busy.get(quiet.trafficMirrorTargetId)?.size ?? 0) < 10;
          const again = chooseTarget('us-east-1a', eni, enis, busy, 'prefer-same');
          return (
            !roomLeft ||
            ('trafficMirrorTargetId' in again && again.trafficMirrorTargetId === quiet.trafficMirrorTargetId)
          );
        },
      ),
    );
  });

  it('fills ENI targets as a batch goes, counting its own choices', () => {
    const loads = targetLoads([]);
    const two = [
      { ...a, maxSources: 2 },
      { ...a, trafficMirrorTargetId: 'tmt-a2', maxSources: 2 },
    ];
    const picks = ['eni-1', 'eni-2', 'eni-3', 'eni-4', 'eni-5'].map((eni) =>
      chooseTarget('us-east-1a', eni, two, loads, 'prefer-same'),
    );
    const chosen = picks.map((p) => ('trafficMirrorTargetId' in p ? p.trafficMirrorTargetId : p.reason));
    expect(chosen.filter((t) => t === 'tmt-a')).toHaveLength(2);
    expect(chosen.filter((t) => t === 'tmt-a2')).toHaveLength(2);
    expect(chosen[4]).toBe('target-full');
  });

  it('spreads ENIs evenly over load balancers, the same way whatever the loads', () => {
    const nlbs = [target({ trafficMirrorTargetId: 'tmt-n1' }), target({ trafficMirrorTargetId: 'tmt-n2' })];
    const enis = Array.from({ length: 400 }, (_, i) => `eni-${i.toString(16)}`);
    const first = enis.map((eni) => chooseTarget('us-east-1a', eni, nlbs, targetLoads([]), 'prefer-same'));
    const busy = targetLoads(
      Array.from({ length: 50 }, (_, i) =>
        session({ networkInterfaceId: `eni-x${i}`, trafficMirrorTargetId: 'tmt-n1' }),
      ),
    );
    const again = enis.map((eni) => chooseTarget('us-east-1a', eni, nlbs, busy, 'prefer-same'));
    expect(again).toEqual(first);
    const onFirst = first.filter((c) => 'trafficMirrorTargetId' in c && c.trafficMirrorTargetId === 'tmt-n1').length;
    expect(onFirst).toBeGreaterThan(150);
    expect(onFirst).toBeLessThan(250);
  });

  it('falls back across zones only when allowed, and tells full from absent', () => {
    const full = targetLoads([
      session({ networkInterfaceId: 'eni-x', trafficMirrorTargetId: 'tmt-a' }),
      session({ networkInterfaceId: 'eni-y', trafficMirrorTargetId: 'tmt-a' }),
    ]);
    expect(chooseTarget('us-east-1a', 'eni-1', [a, b], full, 'prefer-same')).toMatchObject({
      trafficMirrorTargetId: 'tmt-b',
    });
    expect(chooseTarget('us-east-1a', 'eni-1', [a, b], full, 'same-only')).toEqual({ reason: 'target-full' });
    expect(chooseTarget('us-east-1c', 'eni-1', [a, b], targetLoads([]), 'same-only')).toEqual({ reason: 'no-target' });
    expect(chooseTarget('us-east-1a', 'eni-x', [a], full, 'same-only')).toMatchObject({
      trafficMirrorTargetId: 'tmt-a',
    });
  });
});
