import { planReconcile, type ReconcileSlice } from '../../src/mirroring/reconcile.ts';
import { mirroringWith, instance, session, target } from './fixtures.ts';

const TARGET = 'tmt-aaaaaaaaaaaaaaaa1';
const config = mirroringWith();
const ours = (sessionNumber: number) =>
  session({
    trafficMirrorSessionId: 'tms-ours',
    trafficMirrorTargetId: TARGET,
    trafficMirrorFilterId: config.filterId,
    sessionNumber,
    tags: { 'autotap:managed': 'true' },
  });

function slice(sessions: ReconcileSlice['sessions']): ReconcileSlice {
  return {
    config,
    mode: 'reconcile',
    instances: [instance()],
    sessions,
    otherInterfaces: new Map(),
    accountTargets: [target({ trafficMirrorTargetId: TARGET })],
    targetSessions: sessions,
  };
}

describe('planReconcile and session numbers', () => {
  it("moves autotap's session off a number another session of the ENI also uses", () => {
    const foreign = session({ trafficMirrorSessionId: 'tms-other', sessionNumber: 1 });
    expect(planReconcile(slice([ours(1), foreign]))).toEqual([
      expect.objectContaining({
        action: 'modify',
        trafficMirrorSessionId: 'tms-ours',
        sessionNumber: 2,
        reason: 'session-number-taken',
      }),
    ]);
  });

  it('leaves a session whose number is its own alone', () => {
    expect(planReconcile(slice([ours(1), session({ trafficMirrorSessionId: 'tms-other', sessionNumber: 2 })]))).toEqual(
      [],
    );
  });
});
