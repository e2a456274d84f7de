import { expect, test } from '@jest/globals';
import { planReconcile } from '../../src/mirroring/reconcile.ts';
import { accountStatus } from '../../src/mirroring/status.ts';
import { instance, mirroringWith, session, target } from './fixtures.ts';

/** One ENI target that takes 10: nine ENIs and an opted-out one fill it, so another waits for room. */
test("each in-scope ENI is mirrored or not with the scope's or the reconciler's reason; out of scope apart", () => {
  const config = mirroringWith({ targets: [{ id: 'tmt-0e1', maxSources: 10 }] });
  const eniTarget = target({
    trafficMirrorTargetId: 'tmt-0e1',
    kind: 'network-interface',
    networkInterfaceId: 'eni-0e1',
  });
  const full = Array.from({ length: 9 }, (_, n) =>
    instance({
      instanceId: `i-0f${n}`,
      availabilityZone: 'us-east-1a',
      networkInterfaces: [{ networkInterfaceId: `eni-0f${n}`, interfaceType: 'interface', deviceIndex: 0 }],
    }),
  );
  const waiting = instance({
    instanceId: 'i-0a1',
    vpcId: 'vpc-0b2',
    networkInterfaces: [{ networkInterfaceId: 'eni-0a1', interfaceType: 'interface', deviceIndex: 0 }],
  });
  const legacy = instance({
    instanceId: 'i-0c1',
    instanceType: 't2.micro',
    networkInterfaces: [{ networkInterfaceId: 'eni-0c1', interfaceType: 'interface', deviceIndex: 0 }],
  });
  const optedOut = instance({
    instanceId: 'i-0d1',
    tags: { 'autotap:mirror': 'false' },
    networkInterfaces: [{ networkInterfaceId: 'eni-0d1', interfaceType: 'interface', deviceIndex: 0 }],
  });
  const ours = (eni: string, instanceId: string) =>
    session({
      networkInterfaceId: eni,
      trafficMirrorTargetId: 'tmt-0e1',
      tags: { 'autotap:managed': 'true', 'autotap:instance-id': instanceId },
    });
  const sessions = [
    ...full.map((i) => ours(i.networkInterfaces[0]!.networkInterfaceId, i.instanceId)),
    ours('eni-0d1', 'i-0d1'),
  ];
  const snapshot = { instances: [...full, waiting, legacy, optedOut], sessions, targets: [eniTarget] };
  const actions = planReconcile({
    config,
    mode: 'reconcile',
    instances: snapshot.instances,
    sessions,
    otherInterfaces: new Map(),
    accountTargets: [eniTarget],
    targetSessions: sessions,
  });
  const status = accountStatus(snapshot, actions, config);
  expect(status.enis).toEqual({ running: 12, outOfScope: 1, inScope: 11, mirrored: 9, notMirrored: 2 });
  expect(status.coveragePercent).toBe(81.8);
  expect(status.notMirrored).toEqual([
    { reason: 'target-full', enis: 1 },
    { reason: 'unsupported', enis: 1 },
  ]);
  expect(status.byVpc).toEqual([
    { vpcId: 'vpc-0a1', inScope: 10, mirrored: 9 },
    { vpcId: 'vpc-0b2', inScope: 1, mirrored: 0 },
  ]);
  // The opted-out instance's session is the reconciler's to delete; it loads the target meanwhile.
  expect(status.sessionsWithoutReason).toEqual([
    {
      trafficMirrorSessionId: expect.any(String),
      networkInterfaceId: 'eni-0d1',
      instanceId: 'i-0d1',
      reason: 'excluded-by-tag',
    },
  ]);
  expect(status.targets).toEqual([
    {
      trafficMirrorTargetId: 'tmt-0e1',
      kind: 'network-interface',
      sources: 10,
      maxSources: 10,
      loadPercent: 100,
    },
  ]);
  expect(status.sessions).toEqual({ autotap: 10, hourlyUsd: 0.15, sessionHourlyPriceUsd: 0.015 });
});
