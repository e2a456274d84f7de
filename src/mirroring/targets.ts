import { createHash } from 'node:crypto';
import type { MirroringConfig } from '../config/schema.ts';
import type { Session, Target } from './types.ts';

/** An ENI target takes 10 sources unless configured for 100 (a few large instance sizes). */
export const DEFAULT_INTERFACE_TARGET_SOURCES = 10;
/** Tag that places a tag-discovered target in a zone (load balancers serve every zone without it). */
export const ZONE_TAG = 'autotap:availability-zone';

export interface TargetCandidates {
  targets: Target[];
  /** Configured target ids the account does not have: a configuration error for a human. */
  missing: string[];
}

/** The targets autotap may use: the configured ones, plus those carrying `targetTag`. */
export function candidateTargets(config: MirroringConfig, accountTargets: readonly Target[]): TargetCandidates {
  const byId = new Map(accountTargets.map((t) => [t.trafficMirrorTargetId, t]));
  const chosen = new Map<string, Target>();
  const missing: string[] = [];
  for (const configured of config.targets) {
    const found = byId.get(configured.id);
    if (!found) {
      missing.push(configured.id);
      continue;
    }
    chosen.set(configured.id, {
      ...found,
      availabilityZone: configured.availabilityZone ?? found.availabilityZone,
      maxSources: configured.maxSources ?? capacityOf(found),
    });
  }
  const tag = config.targetTag;
  if (tag) {
    for (const target of accountTargets) {
      if (chosen.has(target.trafficMirrorTargetId) || target.tags[tag.key] !== tag.value) continue;
      chosen.set(target.trafficMirrorTargetId, {
        ...target,
        availabilityZone: target.availabilityZone ?? target.tags[ZONE_TAG],
        maxSources: capacityOf(target),
      });
    }
  }
  return { targets: [...chosen.values()].sort(byTargetId), missing };
}

function capacityOf(target: Target): number | undefined {
  return target.maxSources ?? (target.kind === 'network-interface' ? DEFAULT_INTERFACE_TARGET_SOURCES : undefined);
}

function byTargetId(a: Target, b: Target): number {
  return a.trafficMirrorTargetId < b.trafficMirrorTargetId
    ? -1
    : a.trafficMirrorTargetId > b.trafficMirrorTargetId
      ? 1
      : 0;
}

/**
 * The targets whose load must be described: those with a source limit (ENI targets). Load balancer
 * targets are unlimited, and ENIs are spread over them without looking (see chooseTarget), which
 * keeps one paginated describe of every session in the account out of each execution.
 */
/** The ENIs behind ENI targets: AWS refuses them as mirror sources. */
export function targetInterfaceIdsOf(targets: readonly Target[]): Set<string> {
  return new Set(targets.flatMap((t) => (t.networkInterfaceId ? [t.networkInterfaceId] : [])));
}

export function limitedTargetIds(targets: readonly Target[]): string[] {
  return targets.filter((t) => t.maxSources !== undefined).map((t) => t.trafficMirrorTargetId);
}

/** Rendezvous weight of an ENI on a target: stable, so every execution spreads ENIs alike. */
function weight(networkInterfaceId: string, targetId: string): string {
  return createHash('sha256').update(`${networkInterfaceId}|${targetId}`).digest('hex');
}

/** Source ENIs per target, counted as AWS counts them for the sources-per-target quota. */
export function targetLoads(sessions: readonly Session[]): Map<string, Set<string>> {
  const loads = new Map<string, Set<string>>();
  for (const s of sessions) {
    const sources = loads.get(s.trafficMirrorTargetId) ?? new Set<string>();
    sources.add(s.networkInterfaceId);
    loads.set(s.trafficMirrorTargetId, sources);
  }
  return loads;
}

export type TargetChoice =
  { trafficMirrorTargetId: string; alternativeTargetIds: string[] } | { reason: 'no-target' | 'target-full' };

/**
 * Targets in the ENI's zone first (cross-zone mirroring costs data transfer; `same-only` forbids
 * it). Within a zone group, unlimited targets (NLB, GWLB endpoint) come before limited ones (ENI
 * targets fill after 10 or 100 sources). Within each, every ENI has its own order of the targets
 * by a stable hash (rendezvous hashing: even, no describe needed) and takes the first that has
 * room. The order depends on nothing but the ENI and the target ids, so the `running` event, the
 * attach event and reconcile, asking at the same moment, choose the same target for an ENI, and
 * so send the same ClientToken. `loads` is updated with the choice so a batch fills limited
 * targets as they go.
 */
export function chooseTarget(
  availabilityZone: string,
  networkInterfaceId: string,
  targets: readonly Target[],
  loads: Map<string, Set<string>>,
  crossAz: MirroringConfig['crossAz'],
): TargetChoice {
  const sameZone = (t: Target) => t.availabilityZone === undefined || t.availabilityZone === availabilityZone;
  const allowed = crossAz === 'same-only' ? targets.filter(sameZone) : [...targets];
  if (allowed.length === 0) return { reason: 'no-target' };
  const loadOf = (t: Target) => loads.get(t.trafficMirrorTargetId)?.size ?? 0;
  const hasRoom = (t: Target) =>
    t.maxSources === undefined ||
    loadOf(t) < t.maxSources ||
    loads.get(t.trafficMirrorTargetId)?.has(networkInterfaceId) === true;
  const limited = (t: Target) => Number(t.maxSources !== undefined);
  const ranked = allowed
    .filter(hasRoom)
    .map((t) => ({ t, w: weight(networkInterfaceId, t.trafficMirrorTargetId) }))
    .sort(
      (a, b) =>
        Number(!sameZone(a.t)) - Number(!sameZone(b.t)) ||
        limited(a.t) - limited(b.t) ||
        (a.w > b.w ? -1 : a.w < b.w ? 1 : 0) ||
        byTargetId(a.t, b.t),
    )
    .map(({ t }) => t);
  const [best, ...rest] = ranked;
  if (!best) return { reason: 'target-full' };
  const sources = loads.get(best.trafficMirrorTargetId) ?? new Set<string>();
  sources.add(networkInterfaceId);
  loads.set(best.trafficMirrorTargetId, sources);
  return {
    trafficMirrorTargetId: best.trafficMirrorTargetId,
    alternativeTargetIds: rest.map((t) => t.trafficMirrorTargetId),
  };
}
