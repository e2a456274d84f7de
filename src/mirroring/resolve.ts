import type { MirroringConfig } from '../config/schema.ts';
import { RetryableError } from './errors.ts';
import type { MirrorRequest } from './input.ts';
import { stillMirrored } from './service-sources.ts';
import { planInterfaces, type InterfacePlan } from './plan.ts';
import { candidateTargets, limitedTargetIds } from './targets.ts';
import type { Instance, Session, SkipReason, Target } from './types.ts';

export interface ResolvePorts {
  describeInstances(instanceIds: string[]): Promise<Instance[]>;
  describeInterfaceStandings(networkInterfaceIds: string[]): Promise<
    {
      networkInterfaceId: string;
      attachedInstanceId?: string;
      interfaceType?: string;
      serviceSource?: Instance;
    }[]
  >;
  describeSessionsOfInterfaces(networkInterfaceIds: string[]): Promise<Session[]>;
  describeSessionsOfTargets(targetIds: string[]): Promise<Session[]>;
  describeTargets(): Promise<Target[]>;
}

type Standing = Awaited<ReturnType<ResolvePorts['describeInterfaceStandings']>>[number];

/**
 * What becomes of requested ENIs on no instance: another service's (a load balancer's, an RDS DB
 * instance's) is a source of its own when the configuration mirrors that service, else out of scope,
 * at once: nobody attaches such an ENI to an instance. One of another type than `interface` (a
 * trunked ECS task's `branch` ENI) is never a source, so skipped at once rather than waited for; any
 * other is left to wait, as an ENI about to be attached.
 */
export function offInstanceInterfaces(
  standings: readonly Standing[],
  config: MirroringConfig,
): { serviceSources: Instance[]; skippedInterfaces: { networkInterfaceId: string; reason: SkipReason }[] } {
  const serviceSources: Instance[] = [];
  const skippedInterfaces: { networkInterfaceId: string; reason: SkipReason }[] = [];
  for (const s of standings) {
    if (s.attachedInstanceId) continue;
    if (s.serviceSource && stillMirrored(s.serviceSource, config)) serviceSources.push(s.serviceSource);
    else if (s.serviceSource)
      skippedInterfaces.push({ networkInterfaceId: s.networkInterfaceId, reason: 'out-of-scope' });
    else if (s.interfaceType !== undefined && s.interfaceType !== 'interface')
      skippedInterfaces.push({ networkInterfaceId: s.networkInterfaceId, reason: 'interface-type' });
  }
  return { serviceSources, skippedInterfaces };
}

/**
 * Describes what the request names, with as few EC2 calls as one execution allows (one batched
 * describe per kind, paginated), and plans every ENI.
 */
export async function resolveInterfaces(
  request: MirrorRequest,
  config: MirroringConfig,
  ports: ResolvePorts,
  /** Past the state machine's retries for eventual consistency: what is still unseen is `not-found`. */
  finalAttempt: boolean,
  /** In an organization's place: configured targets of other Regions are not missing (plan.ts). */
  targetsInOtherRegions = false,
): Promise<InterfacePlan> {
  const standings =
    request.networkInterfaceIds.length > 0 ? await ports.describeInterfaceStandings(request.networkInterfaceIds) : [];
  const eniOwners = new Map(
    standings.flatMap((s) => (s.attachedInstanceId ? [[s.networkInterfaceId, s.attachedInstanceId] as const] : [])),
  );
  const { serviceSources, skippedInterfaces } = offInstanceInterfaces(standings, config);
  const decided = new Set([
    ...skippedInterfaces.map((s) => s.networkInterfaceId),
    ...serviceSources.flatMap((s) => s.networkInterfaces.map((n) => n.networkInterfaceId)),
  ]);
  const missingNetworkInterfaceIds = request.networkInterfaceIds.filter((id) => !eniOwners.has(id) && !decided.has(id));

  const wholeInstances = new Set(request.instanceIds);
  const instanceIds = [...new Set([...request.instanceIds, ...eniOwners.values()])];
  const described = instanceIds.length > 0 ? await ports.describeInstances(instanceIds) : [];
  const foundIds = new Set(described.map((i) => i.instanceId));
  const missingInstanceIds = request.instanceIds.filter((id) => !foundIds.has(id));

  if (!finalAttempt && (missingInstanceIds.length > 0 || missingNetworkInterfaceIds.length > 0)) {
    throw new RetryableError(
      'NotYetVisible',
      `not visible yet: ${[...missingInstanceIds, ...missingNetworkInterfaceIds].join(', ')}`,
    );
  }

  const requestedEnis = new Set(eniOwners.keys());
  const onInstances = described.map((instance) =>
    wholeInstances.has(instance.instanceId)
      ? instance
      : {
          ...instance,
          networkInterfaces: instance.networkInterfaces.filter((n) => requestedEnis.has(n.networkInterfaceId)),
        },
  );
  const instances = [...onInstances, ...serviceSources];
  const eniIds = instances.flatMap((i) => i.networkInterfaces.map((n) => n.networkInterfaceId));

  let interfaceSessions: Session[] = [];
  // Not described when there is no ENI: then nothing may be said of the targets either.
  let accountTargets: Target[] | undefined;
  let targetSessions: Session[] = [];
  if (eniIds.length > 0) {
    let described: Target[];
    [interfaceSessions, described] = await Promise.all([
      ports.describeSessionsOfInterfaces(eniIds),
      ports.describeTargets(),
    ]);
    accountTargets = described;
    const targetIds = limitedTargetIds(candidateTargets(config, described).targets);
    targetSessions = targetIds.length > 0 ? await ports.describeSessionsOfTargets(targetIds) : [];
  }

  return planInterfaces({
    config,
    instances,
    missingInstanceIds,
    missingNetworkInterfaceIds,
    skippedInterfaces,
    interfaceSessions,
    targetSessions,
    accountTargets,
    dryRun: request.dryRun,
    targetsInOtherRegions,
  });
}
