import type { MirroringConfig } from '../config/schema.ts';
import { DEFAULT_SESSION_HOURLY_PRICE_USD } from './cost.ts';
import { OUTSIDE_SCOPE } from './coverage.ts';
import type { ReconcileAction } from './reconcile.ts';
import type { AccountSnapshot } from './reconcile-round.ts';
import { decideScope } from './scope.ts';
import { candidateTargets, targetInterfaceIdsOf, targetLoads } from './targets.ts';
import { isManagedSession, serviceLabel, type ServiceLabel } from './types.ts';

/**
 * What `autotap status` shows: the account as it is, against the configuration. Every running ENI
 * is out of scope (the scope and tags leave it out), mirrored (it has an autotap session) or not
 * mirrored, with the reason: one the scope gives (an unsupported type, another interface type, a
 * mirror target) or the reconciler's (no target has room, or it simply has not run since). Beside
 * them, autotap's sessions that have no reason to exist (the reconciler would delete them), each
 * target's load, and what autotap's sessions cost an hour. Pure: the snapshot and the plan are the
 * reconciler's, so status, plan and reconcile never disagree.
 */

/** Why an in-scope ENI is not mirrored when the reconciler would simply create its session. */
export const AWAITING_RECONCILE = 'awaiting-reconcile';

export interface EniStatus extends ServiceLabel {
  networkInterfaceId: string;
  instanceId: string;
  vpcId: string;
  availabilityZone: string;
  state: 'mirrored' | 'not-mirrored' | 'out-of-scope';
  reason?: string;
  /** The target of its autotap session, when mirrored. */
  trafficMirrorTargetId?: string;
}

export interface CoverageCell {
  inScope: number;
  mirrored: number;
}

export interface TargetStatus {
  trafficMirrorTargetId: string;
  kind: string;
  availabilityZone?: string;
  /** Source ENIs its sessions mirror, autotap's and anyone else's. */
  sources: number;
  /** What it takes; absent for a load balancer (no limit). */
  maxSources?: number;
  loadPercent?: number;
}

export interface AccountStatus {
  enis: { running: number; outOfScope: number; inScope: number; mirrored: number; notMirrored: number };
  /** Mirrored share of the in-scope ENIs; null when none is in scope. */
  coveragePercent: number | null;
  notMirrored: { reason: string; enis: number }[];
  byVpc: ({ vpcId: string } & CoverageCell)[];
  byZone: ({ availabilityZone: string } & CoverageCell)[];
  targets: TargetStatus[];
  /** autotap's sessions the reconciler would delete, with why. */
  sessionsWithoutReason: {
    trafficMirrorSessionId: string;
    networkInterfaceId: string;
    instanceId: string;
    reason: string;
  }[];
  sessions: { autotap: number; hourlyUsd: number; sessionHourlyPriceUsd: number };
  /** Each running ENI, for a person who wants the detail (`--json`). */
  interfaces: EniStatus[];
}

const percent = (part: number, whole: number) => (whole === 0 ? null : Math.round((1000 * part) / whole) / 10);

function tally(cells: Map<string, CoverageCell>, key: string, mirrored: boolean): void {
  const cell = cells.get(key) ?? { inScope: 0, mirrored: 0 };
  cell.inScope += 1;
  if (mirrored) cell.mirrored += 1;
  cells.set(key, cell);
}

export function accountStatus(
  snapshot: AccountSnapshot,
  actions: readonly ReconcileAction[],
  config: MirroringConfig,
): AccountStatus {
  const targetInterfaceIds = targetInterfaceIdsOf(snapshot.targets);
  const managed = snapshot.sessions.filter(isManagedSession);
  const sessionOf = new Map(managed.map((s) => [s.networkInterfaceId, s]));
  const planned = new Map(
    actions.filter((a) => a.action === 'create' || a.action === 'skip').map((a) => [a.networkInterfaceId, a]),
  );
  const interfaces: EniStatus[] = [];
  for (const source of snapshot.instances) {
    if (source.state !== 'running') continue;
    for (const eni of source.networkInterfaces) {
      const base = {
        networkInterfaceId: eni.networkInterfaceId,
        instanceId: source.instanceId,
        ...serviceLabel(source),
        vpcId: eni.vpcId ?? source.vpcId ?? '-',
        availabilityZone: source.availabilityZone || '-',
      };
      const scope = decideScope(source, eni, config.scope, targetInterfaceIds);
      const session = sessionOf.get(eni.networkInterfaceId);
      if (scope && OUTSIDE_SCOPE.has(scope)) interfaces.push({ ...base, state: 'out-of-scope', reason: scope });
      else if (session)
        interfaces.push({ ...base, state: 'mirrored', trafficMirrorTargetId: session.trafficMirrorTargetId });
      else {
        const action = planned.get(eni.networkInterfaceId);
        const reason = scope ?? (action?.action === 'skip' ? (action.reason ?? 'skipped') : AWAITING_RECONCILE);
        interfaces.push({ ...base, state: 'not-mirrored', reason });
      }
    }
  }
  const inScope = interfaces.filter((i) => i.state !== 'out-of-scope');
  const mirrored = inScope.filter((i) => i.state === 'mirrored').length;
  const reasons = new Map<string, number>();
  const byVpc = new Map<string, CoverageCell>();
  const byZone = new Map<string, CoverageCell>();
  for (const i of inScope) {
    if (i.state === 'not-mirrored') reasons.set(i.reason ?? '-', (reasons.get(i.reason ?? '-') ?? 0) + 1);
    tally(byVpc, i.vpcId, i.state === 'mirrored');
    tally(byZone, i.availabilityZone, i.state === 'mirrored');
  }
  const loads = targetLoads(snapshot.sessions);
  const targets = candidateTargets(config, snapshot.targets).targets.map((t): TargetStatus => {
    const sources = loads.get(t.trafficMirrorTargetId)?.size ?? 0;
    const load = t.maxSources === undefined ? null : percent(sources, t.maxSources);
    return {
      trafficMirrorTargetId: t.trafficMirrorTargetId,
      kind: t.kind,
      ...(t.availabilityZone ? { availabilityZone: t.availabilityZone } : {}),
      sources,
      ...(t.maxSources !== undefined ? { maxSources: t.maxSources } : {}),
      ...(load !== null ? { loadPercent: load } : {}),
    };
  });
  const price = config.sessionHourlyPriceUsd ?? DEFAULT_SESSION_HOURLY_PRICE_USD;
  const byKey = <T extends string>(cells: Map<string, CoverageCell>, key: T) =>
    [...cells]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([value, cell]) => ({ [key]: value, ...cell }) as Record<T, string> & CoverageCell);
  return {
    enis: {
      running: interfaces.length,
      outOfScope: interfaces.length - inScope.length,
      inScope: inScope.length,
      mirrored,
      notMirrored: inScope.length - mirrored,
    },
    coveragePercent: percent(mirrored, inScope.length),
    notMirrored: [...reasons].sort(([, a], [, b]) => b - a).map(([reason, enis]) => ({ reason, enis })),
    byVpc: byKey(byVpc, 'vpcId'),
    byZone: byKey(byZone, 'availabilityZone'),
    targets,
    sessionsWithoutReason: actions
      .filter((a) => a.action === 'delete')
      .map((a) => ({
        trafficMirrorSessionId: a.trafficMirrorSessionId ?? '',
        networkInterfaceId: a.networkInterfaceId,
        instanceId: a.instanceId,
        reason: a.reason ?? 'delete',
      })),
    sessions: {
      autotap: managed.length,
      hourlyUsd: Math.round(managed.length * price * 10_000) / 10_000,
      sessionHourlyPriceUsd: price,
    },
    interfaces,
  };
}
