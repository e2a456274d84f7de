import type { BundleResults } from './bundles.ts';
import { atLeast, atMost, ratio, type TargetCheck } from './metrics.ts';
import type { MirroringResult } from './mirroring.ts';

/** The performance targets autotap holds itself to, evaluated on a run's figures. */

export const TARGETS = {
  mirroredShare: 1,
  duplicateSessions: 0,
  failedExecutions: 0,
  callsToMinimum: 1.2,
  wallToBound: 1.3,
  happyPathTransitions: 10,
  /** 1 MB, decimal: the stricter reading. */
  bundleBytes: 1_000_000,
  /** A Lambda's module load against a bundle of only the AWS SDK names it imports. */
  loadToSdkFloor: 1.2,
};

const pct = (n: number) => `${(n * 100).toFixed(1)}%`;
const int = (n: number) => String(Math.round(n));
const times = (n: number) => `${n.toFixed(2)}x`;
const kb = (n: number) => `${(n / 1000).toFixed(0)} kB`;

export function evaluateTargets(m: MirroringResult, bundles: BundleResults | null): TargetCheck[] {
  const checks: TargetCheck[] = [
    atLeast('ENIs mirrored / eligible', ratio(m.coverage.mirroredEnis, m.coverage.eligibleEnis), TARGETS.mirroredShare, pct),
    atMost('duplicate sessions', m.coverage.duplicateSessions, TARGETS.duplicateSessions, int),
    atMost('failed executions', m.executions.failed, TARGETS.failedExecutions, int),
    atMost('EC2 calls / minimum', m.ec2.ratioToMinimum, TARGETS.callsToMinimum, times),
  ];
  checks.push(wallTimeCheck(m));
  checks.push(atMost('transitions, one-ENI happy path', m.transitions.happyPath.oneEniTransitions, TARGETS.happyPathTransitions, int));
  for (const b of bundles?.functions ?? []) checks.push(atMost(`bundle ${b.name}`, b.bytes, TARGETS.bundleBytes, kb));
  return checks;
}

/**
 * Cold start against the SDK's own floor, and the RSS a Lambda has once loaded against its memory.
 * The ratio is for Lambdas that import the SDK; one that imports none is compared with the empty
 * handler in the bundle table instead (its floor is nothing).
 */
export function evaluateBundleTargets(bundles: BundleResults | null): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const b of bundles?.functions ?? []) {
    if (b.sdkFloor.imports.length > 0) checks.push(atMost(`load vs SDK floor, ${b.name}`, b.ratioToSdkFloor, TARGETS.loadToSdkFloor, times));
  }
  for (const b of bundles?.functions ?? []) checks.push(atMost(`RSS loaded, ${b.name}`, b.rssAfterLoad / 1_000_000, b.memoryMb, (mb) => `${mb.toFixed(0)} MB`));
  return checks;
}

/**
 * Wall time counts only when the run did the whole job: a run that left ENIs unmirrored ended early
 * because executions gave up, which is not speed.
 */
export function wallTimeCheck(m: MirroringResult): TargetCheck {
  const name = 'wall time / throttle bound';
  const target = `<= ${times(TARGETS.wallToBound)}`;
  const unmirrored = m.coverage.eligibleEnis - m.coverage.mirroredEnis;
  if (unmirrored > 0) {
    return { name, measured: `${times(m.time.ratioToBound)} (incomplete)`, target, pass: false, miss: `never reached: ${unmirrored} eligible ENIs left unmirrored` };
  }
  // Nothing to wait for when every call fits in the buckets: there is no bound to compare with.
  if (m.time.lowerBoundSeconds === 0) return { name, measured: 'n/a (the burst fits in the buckets)', target, pass: true, miss: '' };
  return atMost(name, m.time.ratioToBound, TARGETS.wallToBound, times);
}
