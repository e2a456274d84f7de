import type { MirroringConfig } from '../config/schema.ts';
import { countsByDimension, type MetricPoint } from '../observability/metrics.ts';
import { decideScope } from './scope.ts';
import { candidateTargets, targetInterfaceIdsOf, targetLoads } from './targets.ts';
import { isManagedSession, type EniResult, type Instance, type Session, type Target } from './types.ts';

/**
 * The metrics of one mirror-instances execution, from its per-ENI results: how many ENIs it
 * mirrored, found mirrored, skipped and failed (by reason), and for each ENI it mirrored the time
 * since the event that started it (a launch's `running`, an attach call), when that event is known.
 */
export function mirrorMetrics(
  results: readonly EniResult[],
  trigger: string,
  eventTime: string | null | undefined,
  now: Date,
): MetricPoint[] {
  const skipped: Record<string, number> = {};
  const failed: Record<string, number> = {};
  let mirrored = 0;
  let already = 0;
  for (const r of results) {
    if (r.outcome === 'created') mirrored += 1;
    else if (r.outcome === 'already-mirrored') already += 1;
    else if (r.outcome === 'skipped') skipped[r.reason ?? 'unknown'] = (skipped[r.reason ?? 'unknown'] ?? 0) + 1;
    else failed[r.reason ?? 'unknown'] = (failed[r.reason ?? 'unknown'] ?? 0) + 1;
  }
  const points: MetricPoint[] = [
    ...(mirrored > 0 ? [{ name: 'EnisMirrored' as const, values: [mirrored], dimensions: { Trigger: trigger } }] : []),
    ...(already > 0 ? [{ name: 'EnisAlreadyMirrored' as const, values: [already] }] : []),
    ...countsByDimension('EnisSkipped', 'Reason', skipped),
    ...countsByDimension('EnisFailed', 'Reason', failed),
  ];
  const since = eventTime ? Date.parse(eventTime) : Number.NaN;
  // A clock behind the event's (or a re-run of an old event) says nothing about how fast mirroring is.
  if (mirrored > 0 && Number.isFinite(since) && now.getTime() >= since && trigger !== 'manual') {
    const seconds = Math.round((now.getTime() - since) / 100) / 10;
    points.push({
      name: 'LaunchToMirroredSeconds',
      values: Array.from({ length: mirrored }, () => seconds),
      dimensions: { Trigger: trigger },
    });
  }
  return points;
}

const REPAIRED = { created: 'create', deleted: 'delete', modified: 'modify' } as const;

/**
 * The metrics of a reconcile or cleanup from its summed counts (by outcome): the drift it found
 * (repaired, failed or, in a dry run, planned) and what it repaired, by action.
 */
export function driftMetrics(workflow: string, counts: Readonly<Record<string, number>>): MetricPoint[] {
  const repaired = Object.fromEntries(
    Object.entries(REPAIRED).map(([outcome, action]) => [action, counts[outcome] ?? 0]),
  );
  const found = Object.values(repaired).reduce((a, b) => a + b, 0) + (counts.failed ?? 0) + (counts.planned ?? 0);
  return [
    { name: 'DriftFound', values: [found], dimensions: { Workflow: workflow } },
    ...Object.entries(repaired)
      .filter(([, n]) => n > 0)
      .map(([action, n]) => ({
        name: 'DriftRepaired' as const,
        values: [n],
        dimensions: { Workflow: workflow, Action: action },
      })),
  ];
}

/**
 * What a full reconcile round saw before repairing anything: the eligible ENIs (in scope, of a
 * supported type, not a target), how many of them had no autotap session, the coverage that
 * makes, and each usable target's sources (and, for an ENI target, its load against what it takes).
 */
export function coverageMetrics(
  account: { instances: readonly Instance[]; sessions: readonly Session[]; targets: readonly Target[] },
  config: MirroringConfig,
): MetricPoint[] {
  const targetInterfaceIds = targetInterfaceIdsOf(account.targets);
  const mirrored = new Set(account.sessions.filter(isManagedSession).map((s) => s.networkInterfaceId));
  let eligible = 0;
  let unmirrored = 0;
  for (const instance of account.instances) {
    if (instance.state !== 'running') continue;
    for (const eni of instance.networkInterfaces) {
      if (decideScope(instance, eni, config.scope, targetInterfaceIds)) continue;
      eligible += 1;
      if (!mirrored.has(eni.networkInterfaceId)) unmirrored += 1;
    }
  }
  const points: MetricPoint[] = [
    { name: 'EnisEligible', values: [eligible] },
    { name: 'EnisUnmirrored', values: [unmirrored] },
  ];
  // No eligible ENI is no coverage to speak of, not 0% (which would call ops for an empty account).
  if (eligible > 0)
    points.push({ name: 'CoveragePercent', values: [Math.round((1000 * (eligible - unmirrored)) / eligible) / 10] });
  const loads = targetLoads(account.sessions);
  for (const target of candidateTargets(config, account.targets).targets) {
    const sources = loads.get(target.trafficMirrorTargetId)?.size ?? 0;
    const dimensions = { Target: target.trafficMirrorTargetId };
    points.push({ name: 'TargetSources', values: [sources], dimensions });
    if (target.maxSources !== undefined)
      points.push({
        name: 'TargetLoadPercent',
        values: [Math.round((1000 * sources) / target.maxSources) / 10],
        dimensions,
      });
  }
  return points;
}
