import type { MirroringConfig } from '../config/schema.ts';
import { decideScope } from './scope.ts';
import { serviceKindOf, type Instance, type SkipReason } from './types.ts';

/**
 * What the scope leaves of the running fleet, counted per reason: how many running instances and
 * ENIs each scope decision skips (out of scope, excluded by tag, interface type, unsupported
 * instance type, mirror target) and how many remain eligible. Pure, so that `plan` and `doctor` (and
 * later a coverage view) count the same way; the decisions are decideScope's, the one the workflows
 * take.
 */

export interface Tally {
  instances: number;
  enis: number;
}

export interface ScopeSkip extends Tally {
  reason: SkipReason;
}

export interface ScopeCoverage {
  /** Running instances, and the ENIs of them and of the services `sources` mirrors. */
  running: Tally;
  /** Of those ENIs, the load balancers': they count as ENIs, and as no instance. */
  loadBalancerEnis: number;
  /** Of those ENIs, other services' (`sources.requesterManaged`): ENIs too, and no instance. */
  requesterManagedEnis: number;
  /** Running ENIs the scope and tags select: neither out of scope nor excluded by tag. */
  inScope: Tally;
  /** In-scope ENIs nothing stops from being mirrored (type, interface, target). */
  eligible: Tally;
  /** Per reason, the most frequent first; an instance counts once per reason any of its ENIs has. */
  skipped: ScopeSkip[];
  /** The instance families skipped as unsupported, with their running instances, the most first. */
  unsupportedFamilies: { family: string; instances: number }[];
  /** The instance types of those families seen, sorted. */
  unsupportedTypes: string[];
  /** In-scope ENIs skipped for their instance type, over all in-scope ENIs (0 without any). */
  unsupportedShare: number;
}

/** Above this share of the in-scope ENIs skipped for their type, the fleet is mostly not mirrored. */
export const MOSTLY_UNSUPPORTED_SHARE = 0.5;

export const OUTSIDE_SCOPE = new Set<SkipReason>(['out-of-scope', 'excluded-by-tag']);

export function scopeCoverage(
  instances: readonly Instance[],
  scope: MirroringConfig['scope'],
  targetInterfaceIds: ReadonlySet<string> = new Set(),
): ScopeCoverage {
  const running = instances.filter((i) => i.state === 'running');
  const byReason = new Map<SkipReason, { instances: Set<string>; enis: number }>();
  const families = new Map<string, Set<string>>();
  const types = new Set<string>();
  const inScope = { instances: new Set<string>(), enis: 0 };
  const eligible = { instances: new Set<string>(), enis: 0 };
  let enis = 0;
  const serviceEnis = { loadBalancers: 0, requesterManaged: 0 };
  for (const instance of running) {
    // Another service's ENI stands for no instance: only its ENI is counted.
    const service = serviceKindOf(instance);
    const count = (ids: Set<string>) => (service ? ids : ids.add(instance.instanceId));
    if (service) serviceEnis[service] += instance.networkInterfaces.length;
    for (const eni of instance.networkInterfaces) {
      enis += 1;
      const reason = decideScope(instance, eni, scope, targetInterfaceIds);
      if (!reason || !OUTSIDE_SCOPE.has(reason)) {
        count(inScope.instances);
        inScope.enis += 1;
      }
      if (!reason) {
        count(eligible.instances);
        eligible.enis += 1;
        continue;
      }
      const tally = byReason.get(reason) ?? { instances: new Set<string>(), enis: 0 };
      count(tally.instances);
      tally.enis += 1;
      byReason.set(reason, tally);
      if (reason === 'unsupported') {
        const family = instance.instanceType.toLowerCase().split('.')[0] ?? instance.instanceType;
        families.set(family, (families.get(family) ?? new Set()).add(instance.instanceId));
        types.add(instance.instanceType);
      }
    }
  }
  const unsupportedEnis = byReason.get('unsupported')?.enis ?? 0;
  return {
    running: { instances: running.filter((i) => !serviceKindOf(i)).length, enis },
    loadBalancerEnis: serviceEnis.loadBalancers,
    requesterManagedEnis: serviceEnis.requesterManaged,
    inScope: { instances: inScope.instances.size, enis: inScope.enis },
    eligible: { instances: eligible.instances.size, enis: eligible.enis },
    skipped: [...byReason]
      .map(([reason, t]) => ({ reason, instances: t.instances.size, enis: t.enis }))
      .sort((a, b) => b.enis - a.enis || a.reason.localeCompare(b.reason)),
    unsupportedFamilies: [...families]
      .map(([family, ids]) => ({ family, instances: ids.size }))
      .sort((a, b) => b.instances - a.instances || a.family.localeCompare(b.family)),
    unsupportedTypes: [...types].sort(),
    unsupportedShare: inScope.enis === 0 ? 0 : unsupportedEnis / inScope.enis,
  };
}

/** The warning a fleet mostly of unsupported types deserves, or undefined. */
export function mostlyUnsupportedWarning(coverage: ScopeCoverage): string | undefined {
  if (coverage.unsupportedShare <= MOSTLY_UNSUPPORTED_SHARE) return undefined;
  const unsupported = coverage.skipped.find((s) => s.reason === 'unsupported');
  const families = coverage.unsupportedFamilies
    .slice(0, 5)
    .map((f) => `${f.family} ${f.instances}`)
    .join(', ');
  return (
    `most of the in-scope fleet is of instance types Traffic Mirroring does not support: ` +
    `${unsupported?.enis ?? 0} of ${coverage.inScope.enis} in-scope ENIs (${Math.round(coverage.unsupportedShare * 100)}%, ` +
    `${unsupported?.instances ?? 0} instances: ${families}${coverage.unsupportedFamilies.length > 5 ? ', ...' : ''}) are skipped, ` +
    'so autotap mirrors little of it'
  );
}
