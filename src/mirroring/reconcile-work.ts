import type { MirroringConfig } from '../config/schema.ts';
import type { InterfaceStanding, ReconcileSlice } from './reconcile.ts';
import { candidateTargets, limitedTargetIds } from './targets.ts';
import type { Instance, Session, Target } from './types.ts';

/**
 * One Lambda's share of a reconcile or cleanup: the instances to look at, and the ENIs outside them
 * that carry autotap sessions (detached, or of instances gone).
 */
export interface WorkSlice {
  mode: 'reconcile' | 'cleanup';
  instanceIds: string[];
  orphanNetworkInterfaceIds: string[];
  /** Cleanup of one instance: its sessions are found by their description, even when its ENIs are gone. */
  sessionsOfInstanceIds: string[];
  /** Cleanup after a detach: every autotap session is checked (CloudTrail names only the attachment). */
  allManagedSessions: boolean;
  vpcIds: string[];
  dryRun: boolean;
  /** The account and Region of the stop, terminate or detach, in an organization. */
  place?: { accountId: string; region: string };
}

/**
 * Instances planned together: a reconcile round (and `autotap plan`, which runs the round's
 * planning) plans the account in chunks this large; the target load each chunk sees is the
 * account's at the describe.
 */
export const INSTANCES_PER_SLICE = 100;

export interface SlicePorts {
  describeInstances(instanceIds: string[]): Promise<Instance[]>;
  describeSessionsOfInterfaces(networkInterfaceIds: string[]): Promise<Session[]>;
  describeSessionsOfInstance(instanceId: string): Promise<Session[]>;
  describeAllManagedSessions(): Promise<Session[]>;
  describeInterfaceStandings(
    networkInterfaceIds: string[],
  ): Promise<{ networkInterfaceId: string; vpcId?: string; attachedInstanceId?: string }[]>;
  describeTargets(): Promise<Target[]>;
  describeSessionsOfTargets(targetIds: string[]): Promise<Session[]>;
}

/**
 * Where ENIs outside the listed instances stand (attached where, or detached), in the given VPCs
 * (all when none); an ENI that no longer exists is left out.
 */
export async function describeStandings(
  networkInterfaceIds: readonly string[],
  vpcIds: readonly string[],
  ports: Pick<SlicePorts, 'describeInterfaceStandings' | 'describeInstances'>,
): Promise<Map<string, InterfaceStanding>> {
  const otherInterfaces = new Map<string, InterfaceStanding>();
  if (networkInterfaceIds.length === 0) return otherInterfaces;
  const standings = (await ports.describeInterfaceStandings([...networkInterfaceIds])).filter(
    (s) => vpcIds.length === 0 || (s.vpcId !== undefined && vpcIds.includes(s.vpcId)),
  );
  const ownerIds = [...new Set(standings.flatMap((s) => (s.attachedInstanceId ? [s.attachedInstanceId] : [])))];
  const owners = ownerIds.length > 0 ? await ports.describeInstances(ownerIds) : [];
  const stateOf = new Map(owners.map((i) => [i.instanceId, i.state]));
  for (const s of standings) {
    const state = s.attachedInstanceId ? stateOf.get(s.attachedInstanceId) : undefined;
    otherInterfaces.set(s.networkInterfaceId, {
      ...(s.attachedInstanceId ? { attachedInstanceId: s.attachedInstanceId } : {}),
      ...(state ? { instanceState: state } : {}),
    });
  }
  return otherInterfaces;
}

function unique(sessions: Session[]): Session[] {
  return [...new Map(sessions.map((s) => [s.trafficMirrorSessionId, s])).values()];
}

/** Describes what one slice needs for `planReconcile`, batched per kind of call. */
export async function loadSlice(work: WorkSlice, config: MirroringConfig, ports: SlicePorts): Promise<ReconcileSlice> {
  const instances = work.instanceIds.length > 0 ? await ports.describeInstances(work.instanceIds) : [];
  const ownEnis = new Set(instances.flatMap((i) => i.networkInterfaces.map((n) => n.networkInterfaceId)));
  const lookups: Promise<Session[]>[] = [];
  const enisToDescribe = [...ownEnis, ...work.orphanNetworkInterfaceIds];
  if (enisToDescribe.length > 0) lookups.push(ports.describeSessionsOfInterfaces(enisToDescribe));
  for (const id of work.sessionsOfInstanceIds) lookups.push(ports.describeSessionsOfInstance(id));
  if (work.allManagedSessions) lookups.push(ports.describeAllManagedSessions());
  const sessions = unique((await Promise.all(lookups)).flat());

  const otherEnis = [...new Set(sessions.map((s) => s.networkInterfaceId).filter((eni) => !ownEnis.has(eni)))];
  const otherInterfaces = await describeStandings(otherEnis, work.vpcIds, ports);

  let accountTargets: Target[] = [];
  let targetSessions: Session[] = [];
  if (work.mode === 'reconcile' && instances.length > 0) {
    accountTargets = await ports.describeTargets();
    const candidates = limitedTargetIds(candidateTargets(config, accountTargets).targets);
    targetSessions = candidates.length > 0 ? await ports.describeSessionsOfTargets(candidates) : [];
  }
  return { config, mode: work.mode, instances, sessions, otherInterfaces, accountTargets, targetSessions };
}
