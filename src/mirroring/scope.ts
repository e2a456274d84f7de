import type { MirroringConfig } from '../config/schema.ts';
import { supportsMirroring } from './instance-types.ts';
import { serviceKindOf, type Instance, type NetworkInterface, type SkipReason, type Tags } from './types.ts';

type Scope = MirroringConfig['scope'];

/** A tag rule matches when the instance has the key with that value; the value "*" matches any value. */
function matches(tags: Tags, key: string, value: string): boolean {
  return key in tags && (value === '*' || tags[key] === value);
}

/** Whether the tags carry every entry of `rules` (as `includeTags` and overrides match). */
export function matchesEveryTag(tags: Tags, rules: Tags): boolean {
  return Object.entries(rules).every(([key, value]) => matches(tags, key, value));
}

const GONE_STATES = new Set(['shutting-down', 'terminated']);

/**
 * Whether one ENI of an instance may get a mirror session. Returns the reason it may not, or null.
 * `targetInterfaceIds` are the ENIs behind mirror targets: AWS refuses them as sources.
 */
export function decideScope(
  instance: Instance,
  eni: NetworkInterface,
  scope: Scope,
  targetInterfaceIds: ReadonlySet<string>,
): SkipReason | null {
  if (GONE_STATES.has(instance.state)) return 'not-found';
  const vpcId = eni.vpcId ?? instance.vpcId;
  const subnetId = eni.subnetId ?? instance.subnetId;
  if (scope.vpcIds.length > 0 && (!vpcId || !scope.vpcIds.includes(vpcId))) return 'out-of-scope';
  if (scope.subnetIds.length > 0 && (!subnetId || !scope.subnetIds.includes(subnetId))) return 'out-of-scope';
  // Another service's ENI has no instance tags: the tag rules choose instances, `sources` the services.
  if (serviceKindOf(instance)) {
    if (eni.interfaceType !== 'interface') return 'interface-type';
    return targetInterfaceIds.has(eni.networkInterfaceId) ? 'is-mirror-target' : null;
  }
  if (!matchesEveryTag(instance.tags, scope.includeTags)) return 'out-of-scope';
  if (Object.entries(scope.excludeTags).some(([key, value]) => matches(instance.tags, key, value)))
    return 'excluded-by-tag';
  if (eni.interfaceType !== 'interface') return 'interface-type';
  // Known before trying: AWS publishes the types it refuses (and still answers NetworkInterfaceNotSupported).
  if (!supportsMirroring(instance.instanceType)) return 'unsupported';
  if (targetInterfaceIds.has(eni.networkInterfaceId)) return 'is-mirror-target';
  return null;
}
