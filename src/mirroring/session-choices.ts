import type { MirroringConfig } from '../config/schema.ts';
import { matchesEveryTag } from './scope.ts';
import { serviceKindOf, type Instance, type ServiceLabel } from './types.ts';

/** What a session of one ENI is created with, beyond its target and number. */
export interface SessionChoice {
  trafficMirrorFilterId: string;
  /** null: whole packets. */
  packetLength: number | null;
  /** The override that chose them; absent: the section's own `filterId` and `packetLength`. */
  override?: string;
}

/**
 * The filter and packet length for the sessions of an instance's ENIs: the first override whose tags
 * the instance carries, each field it leaves out taken from the section. Pure, so that plan,
 * mirror-instances, reconcile and tamper repair choose the same.
 */
export function sessionChoice(instance: Pick<Instance, 'tags'> & ServiceLabel, config: MirroringConfig): SessionChoice {
  const service = serviceKindOf(instance);
  if (service) {
    const kind = config.sources[service];
    return {
      trafficMirrorFilterId: kind.filterId ?? config.filterId,
      packetLength: kind.packetLength === undefined ? config.packetLength : kind.packetLength,
    };
  }
  const override = config.overrides.find((o) => matchesEveryTag(instance.tags, o.tags));
  if (!override) return { trafficMirrorFilterId: config.filterId, packetLength: config.packetLength };
  return {
    trafficMirrorFilterId: override.filterId ?? config.filterId,
    packetLength: override.packetLength === undefined ? config.packetLength : override.packetLength,
    override: override.name,
  };
}

/**
 * The filters the overrides and the kinds of service ENI name beyond the section's own `filterId`,
 * each once (for IAM and doctor).
 */
export function overrideFilterIds(config: {
  filterId?: string | undefined;
  overrides: MirroringConfig['overrides'];
  sources: MirroringConfig['sources'];
}): string[] {
  const named = [
    ...config.overrides.map((o) => o.filterId),
    config.sources.loadBalancers.filterId,
    config.sources.requesterManaged.filterId,
  ];
  return [...new Set(named.filter((id): id is string => id !== undefined && id !== config.filterId))];
}
