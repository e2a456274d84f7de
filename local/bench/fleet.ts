import { parseConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import type { EmulatorSeed, InstanceSeed, SessionSeed } from '../emulator/index.ts';
import { seededRandom } from '../emulator/faults.ts';
import { MANAGED_TAG } from '../../src/mirroring/types.ts';
import { forEachWithLimit } from '../../src/parallel.ts';

/**
 * A running fleet as reconcile and cleanup meet it: N instances with 1-3 ENIs each. Traffic
 * Mirroring allows 10,000 sessions per account, not adjustable
 * (https://docs.aws.amazon.com/vpc/latest/mirroring/traffic-mirroring-limits.html), so an account of
 * 20,000 instances mirrors only part of them: most instances are excluded by tag (a few of those
 * still carrying an autotap session from before the tag), the rest mostly mirrored already, some not
 * yet, some with a filter no longer configured, and autotap sessions left on detached ENIs. Seeded:
 * the same parameters give the same account.
 */

export interface FleetParams {
  instances: number;
  /** Share of in-scope ENIs without a session yet. */
  unmirroredShare: number;
  /** Share of instances carrying `autotap:mirror=false`. */
  excludedShare: number;
  /** Share of excluded instances whose ENIs still carry an autotap session (to delete). */
  staleShare: number;
  /** Share of mirrored ENIs whose session uses the old filter (to modify). */
  oldFilterShare: number;
  /** Detached ENIs still carrying an autotap session (to delete). */
  detachedEnis: number;
  /** Share of secondary ENIs kept on termination (deleteOnTermination false): their sessions outlive the instance. */
  keptEniShare: number;
  seed: number;
}

export const DEFAULT_FLEET: FleetParams = {
  instances: 20_000,
  unmirroredShare: 0.02,
  excludedShare: 0.78,
  staleShare: 0.02,
  oldFilterShare: 0.005,
  detachedEnis: 50,
  keptEniShare: 0.2,
  seed: 7,
};

/** What a reconcile of the fleet must do, derived while generating it. */
export interface FleetExpectation {
  enis: number;
  creates: number;
  deletes: number;
  modifies: number;
  /** ENIs of excluded instances without a session: reported skipped on every run. */
  skips: number;
}

export interface Fleet {
  params: FleetParams;
  config: Config;
  seed: EmulatorSeed;
  expected: FleetExpectation;
  instanceIds: string[];
  /**
   * Autotap sessions per instance on ENIs that survive its termination (what cleanup must delete): as
   * seeded, and once the reconcile has deleted the stale ones and created the missing ones.
   */
  sessionsKeptOnTermination: { seeded: Map<string, number>; reconciled: Map<string, number> };
}

/** Sessions per account, not adjustable (the emulator's default too). */
export const ACCOUNT_SESSION_LIMIT = 10_000;
const TARGETS = ['tmt-0a1', 'tmt-0a2'];
const FILTER = 'tmf-0f1';
const OLD_FILTER = 'tmf-0f0';
const ZONES = ['us-east-1a', 'us-east-1b'];

/** The session autotap would have created (its tags; the description only informs a human). */
function managedSession(instanceId: string, networkInterfaceId: string, targetId: string, filterId: string): SessionSeed {
  return {
    networkInterfaceId,
    targetId,
    filterId,
    sessionNumber: 1,
    description: `autotap: ${instanceId}`,
    tags: { [MANAGED_TAG]: 'true', 'autotap:instance-id': instanceId },
  };
}

export function generateFleet(input: Partial<FleetParams> = {}): Fleet {
  const params = { ...DEFAULT_FLEET, ...input };
  const random = seededRandom(params.seed);
  const instances: InstanceSeed[] = [];
  const sessions: SessionSeed[] = [];
  const expected: FleetExpectation = { enis: 0, creates: 0, deletes: 0, modifies: 0, skips: 0 };
  const sessionsKeptOnTermination = { seeded: new Map<string, number>(), reconciled: new Map<string, number>() };
  for (let i = 0; i < params.instances; i += 1) {
    const id = `i-${(0x100000 + i).toString(16)}`;
    const enis = 1 + Math.floor(random() * 3);
    const excluded = random() < params.excludedShare;
    const stale = excluded && random() < params.staleShare;
    const networkInterfaces = Array.from({ length: enis }, (_, d) => ({
      id: `eni-${(0x100000 + i).toString(16)}${d}`,
      deviceIndex: d,
      deleteOnTermination: d === 0 || random() >= params.keptEniShare,
    }));
    instances.push({
      id,
      availabilityZone: ZONES[i % ZONES.length],
      ...(excluded ? { tags: { 'autotap:mirror': 'false' } } : {}),
      networkInterfaces,
    });
    const kept = { seeded: 0, reconciled: 0 };
    for (const eni of networkInterfaces) {
      const outlives = eni.deleteOnTermination ? 0 : 1;
      expected.enis += 1;
      const target = TARGETS[(i + eni.deviceIndex) % TARGETS.length]!;
      if (excluded) {
        // An ENI whose session is deleted is reported by the delete, not as a skip too.
        if (stale) {
          sessions.push(managedSession(id, eni.id, target, FILTER));
          expected.deletes += 1;
          kept.seeded += outlives;
        } else {
          expected.skips += 1;
        }
      } else if (random() < params.unmirroredShare) {
        expected.creates += 1;
        kept.reconciled += outlives;
      } else {
        const old = random() < params.oldFilterShare;
        if (old) expected.modifies += 1;
        sessions.push(managedSession(id, eni.id, target, old ? OLD_FILTER : FILTER));
        kept.seeded += outlives;
        kept.reconciled += outlives;
      }
    }
    if (kept.seeded > 0) sessionsKeptOnTermination.seeded.set(id, kept.seeded);
    if (kept.reconciled > 0) sessionsKeptOnTermination.reconciled.set(id, kept.reconciled);
  }
  const networkInterfaces = Array.from({ length: params.detachedEnis }, (_, k) => ({ id: `eni-d${k.toString(16)}`, availabilityZone: ZONES[0] }));
  for (const eni of networkInterfaces) sessions.push(managedSession('i-0', eni.id, TARGETS[0]!, FILTER));
  expected.deletes += networkInterfaces.length;
  // Distinct VNIs given up front, as EC2 would have assigned them (the emulator would draw each).
  sessions.forEach((session, k) => (session.virtualNetworkId = k + 1));
  // The account's quota holds before the reconcile and at its fullest during it (creates before deletes).
  const fullest = sessions.length + expected.creates;
  if (fullest > ACCOUNT_SESSION_LIMIT) {
    throw new Error(
      `fleet: ${sessions.length} sessions and ${expected.creates} to create exceed Traffic Mirroring's ${ACCOUNT_SESSION_LIMIT} sessions per account; raise excludedShare`,
    );
  }
  return {
    params,
    config: parseConfig({
      mirroring: { filterId: FILTER, targets: TARGETS.map((id) => ({ id })), scope: { excludeTags: { 'autotap:mirror': 'false' } }, onStop: 'delete' },
    }),
    seed: {
      targets: TARGETS.map((id) => ({ id, type: 'network-load-balancer' as const })),
      filters: [{ id: FILTER }, { id: OLD_FILTER }],
      instances,
      networkInterfaces,
      sessions,
    },
    expected,
    instanceIds: instances.map((i) => i.id),
    sessionsKeptOnTermination,
  };
}

/** The EventBridge event EC2 sends when an instance is terminated (what starts cleanup-sessions). */
export function terminationEvent(instanceId: string) {
  return {
    version: '0',
    id: `terminated-${instanceId}`,
    'detail-type': 'EC2 Instance State-change Notification',
    source: 'aws.ec2',
    account: '123456789012',
    time: '2026-11-30T12:00:00Z',
    region: 'us-east-1',
    resources: [`arn:aws:ec2:us-east-1:123456789012:instance/${instanceId}`],
    detail: { 'instance-id': instanceId, state: 'terminated' },
  };
}

/** Runs `run` over every item with at most `concurrency` at once, as Step Functions runs a burst of executions. */
export async function inFlight<T, R>(items: readonly T[], concurrency: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  await forEachWithLimit(items, concurrency, async (item, index) => {
    results[index] = await run(item);
  });
  return results;
}
