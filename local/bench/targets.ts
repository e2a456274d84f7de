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
  if (m.time.lowerBoundSeconds > 0) {
    checks.push(atMost('wall time / throttle bound', m.time.ratioToBound, TARGETS.wallToBound, times));
  } else {
    // Nothing to wait for when every call fits in the buckets: there is no bound to compare with.
    checks.push({ name: 'wall time / throttle bound', measured: 'n/a (the burst fits in the buckets)', target: `<= ${times(TARGETS.wallToBound)}`, pass: true, miss: '' });
  }
  checks.push(atMost('transitions, one-ENI happy path', m.transitions.happyPath.oneEniTransitions, TARGETS.happyPathTransitions, int));
  for (const b of bundles?.functions ?? []) checks.push(atMost(`bundle ${b.name}`, b.bytes, TARGETS.bundleBytes, kb));
  return checks;
}
