import type { MirroringConfig } from '../config/schema.ts';
import type { ReconcileAction } from './reconcile.ts';
import type { AccountSnapshot } from './reconcile-round.ts';
import { candidateTargets } from './targets.ts';
import { MANAGED_TAG } from './types.ts';

/**
 * What a plan costs before anything is created: the sessions it would create per VPC and zone, their
 * hourly and monthly price, and how many would send across zones. Each session is billed per hour
 * it exists; mirrored packets that cross a zone are also billed as inter-zone data transfer, which
 * depends on the traffic and is not estimated here, only counted.
 */

/**
 * Price of one session-hour when the configuration sets none: USD 0.015, the per-session-hour price
 * Amazon VPC pricing (https://aws.amazon.com/vpc/pricing/, "Traffic Mirroring") lists for most
 * regions. Prices differ by region and change: set `mirroring.sessionHourlyPriceUsd` to yours.
 */
export const DEFAULT_SESSION_HOURLY_PRICE_USD = 0.015;
/** AWS prices a month as 730 hours (8,760 hours a year / 12). */
export const HOURS_PER_MONTH = 730;

export interface ZoneCost {
  /** "-" when EC2 did not say (an instance outside a VPC cannot be mirrored, so rarely seen). */
  vpcId: string;
  availabilityZone: string;
  /** Sessions the plan creates for ENIs of this VPC and zone. */
  create: number;
  /** Of those, the sessions whose target is in another zone. */
  crossZone: number;
  hourlyUsd: number;
  monthlyUsd: number;
}

export interface PlanCost {
  sessionHourlyPriceUsd: number;
  hoursPerMonth: number;
  /** Sessions the plan creates, and what they add. */
  create: number;
  delete: number;
  addedHourlyUsd: number;
  addedMonthlyUsd: number;
  /** New sessions whose target is in another zone than their ENI: their packets are billed as data transfer. */
  crossZone: number;
  /** New sessions whose target has no zone known to autotap (a load balancer without availabilityZone). */
  unknownZone: number;
  byZone: ZoneCost[];
  /** autotap's sessions once the plan is applied: existing ones, minus deletes, plus creates. */
  sessionsAfter: number;
  hourlyUsdAfter: number;
  monthlyUsdAfter: number;
}

/** Dollars to the cent of a cent: the figures are sums of a per-hour price, not an invoice. */
const usd = (n: number) => Math.round(n * 10_000) / 10_000;

export function planCost(
  actions: readonly ReconcileAction[],
  snapshot: AccountSnapshot,
  config: MirroringConfig,
): PlanCost {
  const price = config.sessionHourlyPriceUsd ?? DEFAULT_SESSION_HOURLY_PRICE_USD;
  const sourceOf = new Map<string, { vpcId: string; availabilityZone: string }>();
  for (const instance of snapshot.instances) {
    for (const eni of instance.networkInterfaces) {
      sourceOf.set(eni.networkInterfaceId, {
        vpcId: eni.vpcId ?? instance.vpcId ?? '-',
        availabilityZone: instance.availabilityZone || '-',
      });
    }
  }
  // The zone autotap places each target in: the configured one first, as target choice does.
  const targetZone = new Map(
    candidateTargets(config, snapshot.targets).targets.map((t) => [t.trafficMirrorTargetId, t.availabilityZone]),
  );

  const zones = new Map<string, ZoneCost>();
  let crossZone = 0;
  let unknownZone = 0;
  const creates = actions.filter((a) => a.action === 'create');
  for (const action of creates) {
    const source = sourceOf.get(action.networkInterfaceId) ?? { vpcId: '-', availabilityZone: '-' };
    const key = `${source.vpcId} ${source.availabilityZone}`;
    const zone = zones.get(key) ?? { ...source, create: 0, crossZone: 0, hourlyUsd: 0, monthlyUsd: 0 };
    zone.create++;
    const target =
      action.trafficMirrorTargetId === undefined ? undefined : targetZone.get(action.trafficMirrorTargetId);
    if (target === undefined) unknownZone++;
    else if (target !== source.availabilityZone) {
      zone.crossZone++;
      crossZone++;
    }
    zones.set(key, zone);
  }
  const byZone = [...zones.values()]
    .map((z) => ({ ...z, hourlyUsd: usd(z.create * price), monthlyUsd: usd(z.create * price * HOURS_PER_MONTH) }))
    .sort((a, b) => a.vpcId.localeCompare(b.vpcId) || a.availabilityZone.localeCompare(b.availabilityZone));

  const deletes = actions.filter((a) => a.action === 'delete').length;
  const existing = snapshot.sessions.filter((s) => s.tags[MANAGED_TAG] === 'true').length;
  const after = existing - deletes + creates.length;
  return {
    sessionHourlyPriceUsd: price,
    hoursPerMonth: HOURS_PER_MONTH,
    create: creates.length,
    delete: deletes,
    addedHourlyUsd: usd(creates.length * price),
    addedMonthlyUsd: usd(creates.length * price * HOURS_PER_MONTH),
    crossZone,
    unknownZone,
    byZone,
    sessionsAfter: after,
    hourlyUsdAfter: usd(after * price),
    monthlyUsdAfter: usd(after * price * HOURS_PER_MONTH),
  };
}
