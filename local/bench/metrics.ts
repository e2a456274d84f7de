/**
 * Pure arithmetic of the benchmark: every figure in the results is computed by these functions from
 * what the run observed, so the tests can check the formulas on known numbers.
 */

/** Step Functions Standard: USD per state transition ($0.025 per 1,000). */
export const PRICE_PER_TRANSITION_USD = 0.025 / 1000;

/**
 * The describes one execution of `mirror-instances` cannot avoid (functions/resolve-interfaces.ts via
 * src/mirroring/resolve.ts): the instance, the sessions on its ENIs, the account's targets and the
 * sessions on the candidate targets (their load). One page each.
 */
export const DESCRIBES_PER_EXECUTION: Readonly<Record<string, number>> = {
  DescribeInstances: 1,
  // Sessions of the ENIs; the load of targets is described only for ENI targets, and the burst's
  // targets are load balancers.
  DescribeTrafficMirrorSessions: 1,
};

/**
 * Describes a run needs once, not per execution: the targets, which a warm container keeps for a
 * minute (src/aws/ec2.ts). The benchmark runs every execution in one process, as one container.
 */
export const DESCRIBES_PER_RUN: Readonly<Record<string, number>> = {
  DescribeTrafficMirrorTargets: 1,
};

export interface TokenBucketModel {
  capacity: number;
  refillPerSecond: number;
}

/**
 * Seconds `calls` calls need at least when a bucket starts full: the first `capacity` are free, the
 * rest arrive at the refill rate.
 */
export function throttleBoundSeconds(calls: number, bucket: TokenBucketModel): number {
  if (calls <= bucket.capacity) return 0;
  if (bucket.refillPerSecond <= 0) return Number.POSITIVE_INFINITY;
  return (calls - bucket.capacity) / bucket.refillPerSecond;
}

export interface MinimumCalls {
  byAction: Record<string, number>;
  total: number;
}

/**
 * The fewest EC2 calls the burst allows: the unavoidable describes of every execution (duplicates
 * start executions too), one create per ENI that must be attempted, and one describe confirming
 * each create (an idempotent replay may name a session deleted since, so `created` is reported only
 * for a session a describe shows). Instance types AWS does not support are skipped from its
 * published list without an attempt.
 */
export function minimumCalls(executions: number, createsNeeded: number): MinimumCalls {
  const byAction: Record<string, number> = {};
  for (const [action, perExecution] of Object.entries(DESCRIBES_PER_EXECUTION)) byAction[action] = perExecution * executions;
  for (const [action, perRun] of Object.entries(DESCRIBES_PER_RUN)) byAction[action] = perRun;
  byAction.DescribeTrafficMirrorSessions = (byAction.DescribeTrafficMirrorSessions ?? 0) + createsNeeded;
  byAction.CreateTrafficMirrorSession = createsNeeded;
  return { byAction, total: Object.values(byAction).reduce((a, b) => a + b, 0) };
}

export function describesNeeded(executions: number, createsNeeded = 0): number {
  return (
    Object.values(DESCRIBES_PER_EXECUTION).reduce((a, b) => a + b, 0) * executions +
    Object.values(DESCRIBES_PER_RUN).reduce((a, b) => a + b, 0) +
    createsNeeded
  );
}

/** ENIs carrying more than one autotap-managed session: each is a duplicate mirror (and double billing). */
export function duplicateSessions(sessions: readonly { networkInterfaceId: string; managed: boolean }[]): number {
  const perEni = new Map<string, number>();
  for (const s of sessions) if (s.managed) perEni.set(s.networkInterfaceId, (perEni.get(s.networkInterfaceId) ?? 0) + 1);
  let extra = 0;
  for (const n of perEni.values()) if (n > 1) extra += n - 1;
  return extra;
}

/** ENIs of `eligible` that carry at least one autotap-managed session. */
export function mirroredEnis(eligible: readonly string[], sessions: readonly { networkInterfaceId: string; managed: boolean }[]): number {
  const mirrored = new Set(sessions.filter((s) => s.managed).map((s) => s.networkInterfaceId));
  return eligible.filter((id) => mirrored.has(id)).length;
}

export function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function ratio(value: number, reference: number): number {
  if (reference === 0) return value === 0 ? 1 : Number.POSITIVE_INFINITY;
  return value / reference;
}

/** USD for 1,000 instances at `transitionsPerInstance` state transitions each. */
export function costPerThousandInstances(transitionsPerInstance: number): number {
  return transitionsPerInstance * 1000 * PRICE_PER_TRANSITION_USD;
}

export interface TargetCheck {
  name: string;
  /** What the run measured, as printed. */
  measured: string;
  target: string;
  pass: boolean;
  /** Empty on a pass; otherwise by how much the target is missed. */
  miss: string;
}

/** A target of the form `value <= limit`; a miss says by how much, absolutely and relatively. */
export function atMost(name: string, value: number, limit: number, format: (n: number) => string): TargetCheck {
  const pass = value <= limit;
  const over = value - limit;
  return {
    name,
    measured: format(value),
    target: `<= ${format(limit)}`,
    pass,
    miss: pass ? '' : `over by ${format(over)} (${limit > 0 ? `+${((over / limit) * 100).toFixed(0)}%` : 'limit 0'})`,
  };
}

/** A target of the form `value >= limit` (coverage). */
export function atLeast(name: string, value: number, limit: number, format: (n: number) => string): TargetCheck {
  const pass = value >= limit;
  return { name, measured: format(value), target: `>= ${format(limit)}`, pass, miss: pass ? '' : `short by ${format(limit - value)}` };
}
