import { startLocalAutotap } from '../../local/environment.ts';
import { generateFleet } from '../../local/bench/fleet.ts';
import * as ec2 from '../../src/aws/ec2.ts';
import { mirroringOf } from '../../src/config/created.ts';
import { planAccountWithSnapshot } from '../../src/mirroring/plan-account.ts';
import { accountStatus, AWAITING_RECONCILE } from '../../src/mirroring/status.ts';
import { renderStatusText } from '../../cli/status.ts';

/** `autotap status` of an emulated account: the numbers the account was built with. */

test('a fleet of 1,000 instances: in scope, mirrored, waiting and out of scope as generated, and the orphans', async () => {
  const fleet = generateFleet({ instances: 1000 });
  const local = await startLocalAutotap(fleet.seed, fleet.config);
  try {
    const mirroring = mirroringOf(fleet.config);
    const planned = await planAccountWithSnapshot(mirroring, ec2, []);
    const status = accountStatus(planned.snapshot, planned.actions, mirroring);
    const { expected, params } = fleet;
    // The excluded instances' ENIs: those skipped, and the stale ones whose session is to go.
    const outOfScope = expected.skips + expected.deletes - params.detachedEnis;
    expect(status.enis).toEqual({
      running: expected.enis,
      outOfScope,
      inScope: expected.enis - outOfScope,
      mirrored: expected.enis - outOfScope - expected.creates,
      notMirrored: expected.creates,
    });
    expect(status.notMirrored).toEqual([{ reason: AWAITING_RECONCILE, enis: expected.creates }]);
    expect(status.sessionsWithoutReason).toHaveLength(expected.deletes);
    expect(status.sessions.autotap).toBe(fleet.seed.sessions!.length);
    // The views add up to the whole.
    for (const view of [status.byVpc, status.byZone]) {
      expect(view.reduce((n, c) => n + c.inScope, 0)).toBe(status.enis.inScope);
      expect(view.reduce((n, c) => n + c.mirrored, 0)).toBe(status.enis.mirrored);
    }
    expect(status.byZone.map((z) => z.availabilityZone)).toEqual(['us-east-1a', 'us-east-1b']);
    const sessionsByTarget = new Map<string, Set<string>>();
    for (const s of local.emulator.sessions())
      sessionsByTarget.set(
        s.trafficMirrorTargetId,
        (sessionsByTarget.get(s.trafficMirrorTargetId) ?? new Set()).add(s.networkInterfaceId),
      );
    expect(Object.fromEntries(status.targets.map((t) => [t.trafficMirrorTargetId, t.sources]))).toEqual(
      Object.fromEntries([...sessionsByTarget].map(([id, enis]) => [id, enis.size])),
    );
    expect(renderStatusText(status, 'dev')).toContain(
      `% of the in-scope ENIs mirrored (${status.enis.mirrored} of ${status.enis.inScope};`,
    );
  } finally {
    await local.close();
  }
}, 60_000);
