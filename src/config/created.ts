import { ConfigError } from './error.ts';
import type { ConfiguredTarget, MirroringConfig, MirroringSection } from './schema.ts';

/**
 * The filter and target the stack creates (`mirroring.create`) get their ids from CloudFormation at
 * deploy time, after packaging has bundled the configuration into the code. The stack hands them to
 * the functions in these variables (deploy/mirroring-resources.ts), and the functions merge them
 * into their configuration at cold start: the created filter is the filter, the created target one
 * more configured target.
 */
export const CREATED_FILTER_VARIABLE = 'AUTOTAP_MIRROR_FILTER_ID';
export const CREATED_TARGET_VARIABLE = 'AUTOTAP_MIRROR_TARGET_ID';

export interface CreatedIds {
  filterId?: string | undefined;
  targetId?: string | undefined;
}

/**
 * The `mirroring` section the functions work with. Without `create` it is the section as written;
 * with it, the created filter's id and the created target need to be known: outside a deployed stack
 * they are not, and this says so instead of planning with a filter that does not exist yet.
 */
export function mirroringOf(config: { mirroring: MirroringSection }, created: CreatedIds = {}): MirroringConfig {
  const section = config.mirroring;
  const filterId = section.create?.filter ? created.filterId : section.filterId;
  if (filterId === undefined) {
    throw new ConfigError(
      'mirroring.create.filter: the stack creates this filter at deploy time and its id is not known here; ' +
        'after deploying, put the stack output TrafficMirrorFilterId in mirroring.filterId for commands run outside the stack',
    );
  }
  let targets: ConfiguredTarget[] = section.targets;
  const target = section.create?.target;
  if (target) {
    if (created.targetId === undefined) {
      throw new ConfigError(
        'mirroring.create.target: the stack creates this target at deploy time and its id is not known here; ' +
          'after deploying, add the stack output TrafficMirrorTargetId to mirroring.targets for commands run outside the stack',
      );
    }
    const zone =
      target.kind === 'network-load-balancer'
        ? {}
        : target.availabilityZone
          ? { availabilityZone: target.availabilityZone }
          : {};
    const sources = target.kind === 'network-interface' && target.maxSources ? { maxSources: target.maxSources } : {};
    targets = [...targets, { id: created.targetId, ...zone, ...sources }];
  }
  return { ...section, filterId, targets };
}
