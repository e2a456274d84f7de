import { EC2ServiceException } from '@aws-sdk/client-ec2';
import { ec2DomainError } from '../../src/aws/ec2.ts';
import { INSTANCE_TAG, MANAGED_TAG } from '../../src/mirroring/types.ts';
import {
  deleteManagedSessions,
  enabledCreatingRules,
  MAX_DELETE_ATTEMPTS,
  pauseBeforeAttempt,
  planUninstall,
  STAGE_TAG,
  THROTTLE_CAP_MS,
} from '../../src/mirroring/uninstall.ts';
import { session } from './fixtures.ts';

/** What the EC2 adapter throws when DeleteTrafficMirrorSession answers with this code. */
const deleteError = (code: string) =>
  ec2DomainError(
    new EC2ServiceException({ name: code, $fault: 'client', $metadata: { httpStatusCode: 400 }, message: code }),
    'DeleteTrafficMirrorSession',
  );

describe('planUninstall', () => {
  it("deletes the sessions with autotap's tag and keeps every other one, whatever its description", () => {
    const ours = session({ tags: { [MANAGED_TAG]: 'true', [INSTANCE_TAG]: 'i-01' } });
    const oursNamed = session({ tags: { [MANAGED_TAG]: 'true', [STAGE_TAG]: 'prod' } });
    const otherStage = session({ tags: { [MANAGED_TAG]: 'true', [STAGE_TAG]: 'dev' } });
    const untagged = session({ tags: {} });
    const notTrue = session({ tags: { [MANAGED_TAG]: 'false' } });
    const instanceTagOnly = session({ tags: { [INSTANCE_TAG]: 'i-02' } });
    const plan = planUninstall([ours, oursNamed, otherStage, untagged, notTrue, instanceTagOnly], 'prod');
    expect(plan.remove).toEqual([ours, oursNamed]);
    expect(plan.kept).toEqual({ 'not-autotap': 3, 'other-stage': 1 });
  });
});

describe('enabledCreatingRules', () => {
  it("names the stage's enabled rules that start session-creating workflows, and only those", () => {
    const rules = [
      { name: 'autotap-prod-instance-running', state: 'ENABLED' },
      { name: 'autotap-prod-interface-attached', state: 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS' },
      { name: 'autotap-prod-reconcile-schedule', state: 'DISABLED' },
      // Deletes only.
      { name: 'autotap-prod-instance-stopped', state: 'ENABLED' },
      // Another stage whose name starts like this one.
      { name: 'autotap-prod-2-instance-running', state: 'ENABLED' },
    ];
    expect(enabledCreatingRules(rules, 'prod')).toEqual([
      'autotap-prod-instance-running',
      'autotap-prod-interface-attached',
    ]);
    expect(enabledCreatingRules(rules, 'prod-2')).toEqual(['autotap-prod-2-instance-running']);
  });
});

describe('deleteManagedSessions', () => {
  const ours = (instanceId: string) => session({ tags: { [MANAGED_TAG]: 'true', [INSTANCE_TAG]: instanceId } });

  it('waits out throttling with growing jittered pauses, then deletes', async () => {
    const one = ours('i-01');
    const script = [deleteError('RequestLimitExceeded'), deleteError('RequestLimitExceeded')];
    const sleeps: number[] = [];
    const deleted: string[] = [];
    const results = await deleteManagedSessions([one], {
      async deleteSession(id) {
        const error = script.shift();
        if (error) throw error;
        deleted.push(id);
      },
      sleep: async (ms) => void sleeps.push(ms),
      random: () => 0.999,
    });
    expect(results).toEqual([
      {
        trafficMirrorSessionId: one.trafficMirrorSessionId,
        networkInterfaceId: one.networkInterfaceId,
        instanceId: 'i-01',
        outcome: 'deleted',
      },
    ]);
    expect(deleted).toEqual([one.trafficMirrorSessionId]);
    expect(sleeps).toEqual([499, 999]);
  });

  it('counts a session already gone as done, reports a refusal and goes on with the next', async () => {
    const [gone, refused, fine] = [ours('i-01'), ours('i-02'), ours('i-03')];
    const answers = new Map([
      [gone.trafficMirrorSessionId, deleteError('InvalidTrafficMirrorSessionId.NotFound')],
      [refused.trafficMirrorSessionId, deleteError('UnauthorizedOperation')],
    ]);
    const results = await deleteManagedSessions([gone, refused, fine], {
      async deleteSession(id) {
        const error = answers.get(id);
        if (error) throw error;
      },
    });
    expect(results.map((r) => [r.instanceId, r.outcome, r.reason])).toEqual([
      ['i-01', 'already-gone', undefined],
      ['i-02', 'failed', 'unauthorized'],
      ['i-03', 'deleted', undefined],
    ]);
  });

  it('gives up on a session still throttled after every attempt, and tries the next', async () => {
    const [stuck, next] = [ours('i-01'), ours('i-02')];
    let calls = 0;
    const sleeps: number[] = [];
    const results = await deleteManagedSessions([stuck, next], {
      async deleteSession(id) {
        calls += 1;
        if (id === stuck.trafficMirrorSessionId) throw deleteError('RequestLimitExceeded');
      },
      sleep: async (ms) => void sleeps.push(ms),
      random: () => 0.5,
    });
    expect(results.map((r) => [r.outcome, r.reason])).toEqual([
      ['failed', 'Throttled'],
      ['deleted', undefined],
    ]);
    expect(calls).toBe(MAX_DELETE_ATTEMPTS + 1);
    expect(sleeps).toHaveLength(MAX_DELETE_ATTEMPTS - 1);
  });

  it('lets an error that is no AWS answer through', async () => {
    await expect(
      deleteManagedSessions([ours('i-01')], { deleteSession: () => Promise.reject(new TypeError('bug')) }),
    ).rejects.toThrow('bug');
  });
});

describe('pauseBeforeAttempt', () => {
  it('doubles from half a second and never exceeds the cap', () => {
    expect([1, 2, 3].map((attempt) => pauseBeforeAttempt(attempt, 0.5))).toEqual([250, 500, 1000]);
    expect(pauseBeforeAttempt(30, 0.999)).toBeLessThan(THROTTLE_CAP_MS);
    expect(pauseBeforeAttempt(30, 0.999)).toBeGreaterThan(THROTTLE_CAP_MS * 0.99);
  });
});
