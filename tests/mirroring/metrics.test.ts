import { describe, expect, test } from '@jest/globals';
import { coverageMetrics, driftMetrics, mirrorMetrics } from '../../src/mirroring/metrics.ts';
import type { EniResult } from '../../src/mirroring/types.ts';
import { instance, mirroringWith, session, target } from './fixtures.ts';

const result = (outcome: EniResult['outcome'], reason?: string): EniResult => ({
  instanceId: 'i-0a1',
  networkInterfaceId: 'eni-0a1',
  outcome,
  ...(reason ? { reason } : {}),
});

describe('the metrics of one mirror-instances execution', () => {
  const now = new Date('2026-12-07T10:00:30.000Z');
  const results = [
    result('created'),
    result('created'),
    result('already-mirrored'),
    result('skipped', 'unsupported'),
    result('skipped', 'unsupported'),
    result('skipped', 'excluded-by-tag'),
    result('failed', 'TrafficMirrorSessionsPerInterfaceLimitExceeded'),
  ];

  test('counts each outcome, skips and failures by reason, and the wait of each mirrored ENI since its event', () => {
    expect(mirrorMetrics(results, 'instance-running', '2026-12-07T10:00:00.000Z', now)).toEqual([
      { name: 'EnisMirrored', values: [2], dimensions: { Trigger: 'instance-running' } },
      { name: 'EnisAlreadyMirrored', values: [1] },
      { name: 'EnisSkipped', values: [2], dimensions: { Reason: 'unsupported' } },
      { name: 'EnisSkipped', values: [1], dimensions: { Reason: 'excluded-by-tag' } },
      { name: 'EnisFailed', values: [1], dimensions: { Reason: 'TrafficMirrorSessionsPerInterfaceLimitExceeded' } },
      { name: 'LaunchToMirroredSeconds', values: [30, 30], dimensions: { Trigger: 'instance-running' } },
    ]);
  });

  test('no latency without an event time, for a request by hand, or for an event dated after now', () => {
    const latency = (trigger: string, eventTime: string | null) =>
      mirrorMetrics(results, trigger, eventTime, now).filter((p) => p.name === 'LaunchToMirroredSeconds');
    expect(latency('instance-running', null)).toEqual([]);
    expect(latency('manual', '2026-12-07T10:00:00.000Z')).toEqual([]);
    expect(latency('interface-attached', '2026-12-07T10:01:00.000Z')).toEqual([]);
    expect(latency('interface-attached', 'yesterday')).toEqual([]);
  });

  test('nothing mirrored, nothing said of it: no zero-valued points but the ones that happened', () => {
    expect(mirrorMetrics([result('skipped', 'not-found')], 'instance-running', null, now)).toEqual([
      { name: 'EnisSkipped', values: [1], dimensions: { Reason: 'not-found' } },
    ]);
  });
});

test('drift: found counts repairs made, failed and planned; repaired is by action', () => {
  expect(driftMetrics('reconcile', { created: 3, deleted: 2, failed: 1, skipped: 40, 'already-mirrored': 5 })).toEqual([
    { name: 'DriftFound', values: [6], dimensions: { Workflow: 'reconcile' } },
    { name: 'DriftRepaired', values: [3], dimensions: { Workflow: 'reconcile', Action: 'create' } },
    { name: 'DriftRepaired', values: [2], dimensions: { Workflow: 'reconcile', Action: 'delete' } },
  ]);
  // A dry run repairs nothing, and still found what it planned.
  expect(driftMetrics('reconcile', { planned: 4 })).toEqual([
    { name: 'DriftFound', values: [4], dimensions: { Workflow: 'reconcile' } },
  ]);
});

describe("a full round's coverage and target load", () => {
  const config = mirroringWith({ targets: [{ id: 'tmt-0a1' }, { id: 'tmt-0e1', maxSources: 10 }] });
  const targets = [
    target({ trafficMirrorTargetId: 'tmt-0a1' }),
    target({ trafficMirrorTargetId: 'tmt-0e1', kind: 'network-interface', networkInterfaceId: 'eni-0e1' }),
  ];
  const web = instance({
    instanceId: 'i-0a1',
    networkInterfaces: [
      { networkInterfaceId: 'eni-0a1', interfaceType: 'interface', deviceIndex: 0 },
      { networkInterfaceId: 'eni-0a2', interfaceType: 'interface', deviceIndex: 1 },
    ],
  });
  const db = instance({
    instanceId: 'i-0b1',
    networkInterfaces: [{ networkInterfaceId: 'eni-0b1', interfaceType: 'interface', deviceIndex: 0 }],
  });
  const legacy = instance({ instanceId: 'i-0c1', instanceType: 't2.micro' });
  const stopped = instance({ instanceId: 'i-0d1', state: 'stopped' });
  const ours = (eni: string, targetId: string) =>
    session({
      networkInterfaceId: eni,
      trafficMirrorTargetId: targetId,
      tags: { 'autotap:managed': 'true', 'autotap:instance-id': 'i' },
    });

  test("the eligible ENIs, those without autotap's session, the share mirrored, and each target's sources", () => {
    const sessions = [
      ours('eni-0a1', 'tmt-0a1'),
      ours('eni-0b1', 'tmt-0e1'),
      // Another tool's session on eni-0a2: it loads the target, and leaves the ENI unmirrored by autotap.
      session({ networkInterfaceId: 'eni-0a2', trafficMirrorTargetId: 'tmt-0e1', tags: {} }),
    ];
    expect(coverageMetrics({ instances: [web, db, legacy, stopped], sessions, targets }, config)).toEqual([
      { name: 'EnisEligible', values: [3] },
      { name: 'EnisUnmirrored', values: [1] },
      { name: 'CoveragePercent', values: [66.7] },
      { name: 'TargetSources', values: [1], dimensions: { Target: 'tmt-0a1' } },
      { name: 'TargetSources', values: [2], dimensions: { Target: 'tmt-0e1' } },
      { name: 'TargetLoadPercent', values: [20], dimensions: { Target: 'tmt-0e1' } },
    ]);
  });

  test('an account with nothing eligible has no coverage to alarm on', () => {
    const points = coverageMetrics({ instances: [legacy], sessions: [], targets }, config);
    expect(points.filter((p) => p.name !== 'TargetSources' && p.name !== 'TargetLoadPercent')).toEqual([
      { name: 'EnisEligible', values: [0] },
      { name: 'EnisUnmirrored', values: [0] },
    ]);
  });
});
