import type { MirroringConfig } from '../config/schema.ts';
import { planInterfaces, vniOf } from './plan.ts';
import { sessionChoice } from './session-choices.ts';
import { pickSessionNumber } from './session-numbers.ts';
import { decideScope } from './scope.ts';
import { candidateTargets, chooseTarget, targetInterfaceIdsOf, targetLoads } from './targets.ts';
import { KIND_REMOVAL, stillMirrored } from './service-sources.ts';
import {
  MANAGED_TAG,
  serviceKindOf,
  serviceLabel,
  serviceLabelOf,
  type ServiceLabel,
  type Attachment,
  type Instance,
  type NetworkInterface,
  type Session,
  type Target,
} from './types.ts';

/**
 * Drift between the account and the configuration, decided for a slice of the account. The same
 * pure function serves the `reconcile` workflow, the `cleanup-sessions` workflow (stop, terminate,
 * detach) and `autotap plan`, so what `plan` shows is what `reconcile` does.
 */

export type ReconcileActionKind = 'create' | 'delete' | 'modify' | 'skip';

export interface ReconcileAction extends ServiceLabel {
  action: ReconcileActionKind;
  /** Empty for an ENI on no instance (its label says whose it is). */
  instanceId: string;
  networkInterfaceId: string;
  reason?: string;
  sessionNumber?: number;
  trafficMirrorTargetId?: string;
  trafficMirrorFilterId?: string;
  trafficMirrorSessionId?: string;
  /** For `modify`: the packet length to set (null: whole packets again). */
  packetLength?: number | null;
  /** For `modify`: the VNI to set. */
  virtualNetworkId?: number;
  /** The override whose filter or packet length the session gets, if any. */
  override?: string;
  /** For `create`: everything attaching needs, decided here. */
  attachment?: Attachment;
}

/** Where an ENI that carries an autotap session but is not among the listed instances now stands. */
export interface InterfaceStanding {
  /** Absent: the ENI is detached. */
  attachedInstanceId?: string;
  /** State of the instance it is attached to, when known. */
  instanceState?: string;
}

export interface ReconcileSlice {
  config: MirroringConfig;
  /** `reconcile` repairs all drift; `cleanup` only removes sessions that would linger and bill. */
  mode: 'reconcile' | 'cleanup';
  /** Instances of the slice (running or stopped), each with all its ENIs. */
  instances: Instance[];
  /** Every session on the ENIs of `instances`, plus autotap sessions of ENIs outside them. */
  sessions: Session[];
  /** For ENIs of `sessions` outside `instances`: attached where, or detached. Missing: ENI gone. */
  otherInterfaces: Map<string, InterfaceStanding>;
  accountTargets: Target[];
  /** Every session on the candidate targets, for their load. */
  targetSessions: Session[];
}

/** Reason of a `modify` that moves autotap's session off a number another session of its ENI uses. */
export const SESSION_NUMBER_TAKEN = 'session-number-taken';

const GONE = new Set(['shutting-down', 'terminated']);
const STOPPED = new Set(['stopping', 'stopped']);

function isOurs(session: Session): boolean {
  return session.tags[MANAGED_TAG] === 'true';
}

/** What deciding about autotap's sessions needs of a slice, worked out once per slice. */
interface SessionContext {
  config: MirroringConfig;
  mode: ReconcileSlice['mode'];
  /** The listed instance and ENI each ENI id belongs to. */
  owners: Map<string, [Instance, NetworkInterface]>;
  otherInterfaces: ReconcileSlice['otherInterfaces'];
  /** Every session of the slice, autotap's or not. */
  sessions: readonly Session[];
  /** The configured targets that exist, and their ids. */
  targets: Target[];
  candidateIds: Set<string>;
  existingTargetIds: Set<string>;
  /** ENIs that are a target's own: never mirrored. */
  targetInterfaceIds: Set<string>;
  loads: Map<string, Set<string>>;
}

function sessionContext(slice: ReconcileSlice): SessionContext {
  const owners = new Map<string, [Instance, NetworkInterface]>();
  for (const instance of slice.instances)
    for (const eni of instance.networkInterfaces) owners.set(eni.networkInterfaceId, [instance, eni]);
  const { targets } = candidateTargets(slice.config, slice.accountTargets);
  return {
    config: slice.config,
    mode: slice.mode,
    owners,
    otherInterfaces: slice.otherInterfaces,
    sessions: slice.sessions,
    targets,
    candidateIds: new Set(targets.map((t) => t.trafficMirrorTargetId)),
    existingTargetIds: new Set(slice.accountTargets.map((t) => t.trafficMirrorTargetId)),
    targetInterfaceIds: targetInterfaceIdsOf(slice.accountTargets),
    loads: targetLoads(slice.targetSessions),
  };
}

/** autotap's sessions in a stable order: the lowest number on an ENI is the one kept when there are two. */
function oursInOrder(sessions: readonly Session[]): Session[] {
  return sessions
    .filter(isOurs)
    .sort(
      (a, b) => a.sessionNumber - b.sessionNumber || a.trafficMirrorSessionId.localeCompare(b.trafficMirrorSessionId),
    );
}

/** Why autotap's session on an ENI outside the listed instances goes; undefined when it stays, or when the ENI is gone (EC2 deletes its sessions with it). */
export function offSliceRemoval(
  standing: InterfaceStanding | undefined,
  onStop: MirroringConfig['onStop'],
): string | undefined {
  if (!standing) return undefined;
  if (!standing.attachedInstanceId) return 'interface-detached';
  if (GONE.has(standing.instanceState ?? '')) return 'instance-terminated';
  if (STOPPED.has(standing.instanceState ?? '') && onStop === 'delete') return 'instance-stopped';
  return undefined;
}

/** What an instance's state alone decides for its sessions: removed, kept while it is stopped, or `live` (up to the rest of the plan). */
export function fateByInstanceState(
  state: string,
  onStop: MirroringConfig['onStop'],
): { remove: string } | 'keep' | 'live' {
  if (GONE.has(state)) return { remove: 'instance-terminated' };
  if (STOPPED.has(state)) return onStop === 'delete' ? { remove: 'instance-stopped' } : 'keep';
  return 'live';
}

/** A free session number for autotap's session when another session of its ENI uses the same one; undefined when its own is free (or none is). */
export function freeSessionNumber(
  session: Session,
  sessions: readonly Session[],
  range: MirroringConfig['sessionNumber'],
): number | undefined {
  // Whether EC2 accepts two sessions of one number on an ENI is undocumented; if it did, the
  // order between them would be ambiguous, so autotap's session moves to a free number.
  const othersOnEni = sessions.filter(
    (s) =>
      s.networkInterfaceId === session.networkInterfaceId &&
      s.trafficMirrorSessionId !== session.trafficMirrorSessionId,
  );
  if (!othersOnEni.some((s) => s.sessionNumber === session.sessionNumber)) return undefined;
  const free = pickSessionNumber(
    othersOnEni.map((s) => s.sessionNumber),
    range,
  );
  return 'sessionNumber' in free ? free.sessionNumber : undefined;
}

type SessionBase = Omit<ReconcileAction, 'action'> & { instanceId: string };

/** The changes autotap's kept session needs (target, filter, number): a `modify`, a `skip` when no target can take it, or nothing. */
function repairSession(
  session: Session,
  [instance, eni]: [Instance, NetworkInterface],
  base: SessionBase,
  ctx: SessionContext,
): ReconcileAction | undefined {
  const { config } = ctx;
  const change: Partial<ReconcileAction> = {};
  const reasons: string[] = [];
  if (!ctx.candidateIds.has(session.trafficMirrorTargetId)) {
    const choice = chooseTarget(
      instance.availabilityZone,
      session.networkInterfaceId,
      ctx.targets,
      ctx.loads,
      config.crossAz,
    );
    if ('reason' in choice) return { ...base, action: 'skip', reason: choice.reason };
    change.trafficMirrorTargetId = choice.trafficMirrorTargetId;
    reasons.push(ctx.existingTargetIds.has(session.trafficMirrorTargetId) ? 'target-not-configured' : 'target-deleted');
  }
  const choice = sessionChoice(instance, config);
  if (choice.override) change.override = choice.override;
  if (session.trafficMirrorFilterId !== choice.trafficMirrorFilterId) {
    change.trafficMirrorFilterId = choice.trafficMirrorFilterId;
    reasons.push('filter-changed');
  }
  if (session.packetLength !== undefined && session.packetLength !== choice.packetLength) {
    change.packetLength = choice.packetLength;
    reasons.push('packet-length-changed');
  }
  // Only a VNI the configuration names is repaired: without one, AWS chose it and any value is right.
  const vni = vniOf(eni.vpcId ?? instance.vpcId, config).virtualNetworkId ?? config.virtualNetworkId;
  if (vni !== null && session.virtualNetworkId !== undefined && session.virtualNetworkId !== vni) {
    change.virtualNetworkId = vni;
    reasons.push('vni-changed');
  }
  const sessionNumber = freeSessionNumber(session, ctx.sessions, config.sessionNumber);
  if (sessionNumber !== undefined) {
    change.sessionNumber = sessionNumber;
    reasons.push(SESSION_NUMBER_TAKEN);
  }
  return reasons.length > 0 ? { ...base, ...change, action: 'modify', reason: reasons.join(',') } : undefined;
}

/** The action for one of autotap's sessions, if any; `keptOnEni` collects the ENIs whose session stays, so that a second one is a duplicate. */
function decideOurSession(session: Session, ctx: SessionContext, keptOnEni: Set<string>): ReconcileAction | undefined {
  const base: SessionBase = {
    instanceId: session.tags['autotap:instance-id'] ?? '',
    networkInterfaceId: session.networkInterfaceId,
    trafficMirrorSessionId: session.trafficMirrorSessionId,
    sessionNumber: session.sessionNumber,
    trafficMirrorTargetId: session.trafficMirrorTargetId,
  };
  const label = serviceLabelOf(session);
  Object.assign(base, label);
  const remove = (reason: string): ReconcileAction => ({ ...base, action: 'delete', reason });
  const owner = ctx.owners.get(session.networkInterfaceId);
  const kind = serviceKindOf(label);
  if (!owner && kind) {
    // Another service's ENI outside the slice: gone (EC2 deleted its sessions with it), or one that
    // autotap no longer mirrors. Cleanup never touches these: the service owns the ENI.
    if (ctx.mode === 'cleanup' || stillMirrored(label, ctx.config)) return undefined;
    return ctx.otherInterfaces.has(session.networkInterfaceId) ? remove(KIND_REMOVAL[kind]) : undefined;
  }
  if (!owner) {
    const reason = offSliceRemoval(ctx.otherInterfaces.get(session.networkInterfaceId), ctx.config.onStop);
    return reason === undefined ? undefined : remove(reason);
  }
  const [instance, eni] = owner;
  base.instanceId = instance.instanceId;
  const fate = fateByInstanceState(instance.state, ctx.config.onStop);
  if (fate !== 'live') return fate === 'keep' ? undefined : remove(fate.remove);
  if (ctx.mode === 'cleanup') return undefined;
  const outOfScope = decideScope(instance, eni, ctx.config.scope, ctx.targetInterfaceIds);
  if (outOfScope) return remove(outOfScope);
  if (keptOnEni.has(session.networkInterfaceId)) return remove('duplicate');
  keptOnEni.add(session.networkInterfaceId);
  return repairSession(session, owner, base, ctx);
}

/** What happens to each of autotap's existing sessions: deletes, modifies and skips. */
function planOurSessions(slice: ReconcileSlice): ReconcileAction[] {
  const ctx = sessionContext(slice);
  const keptOnEni = new Set<string>();
  return oursInOrder(slice.sessions).flatMap((session) => decideOurSession(session, ctx, keptOnEni) ?? []);
}

/** The sessions running instances are missing (creates), and why an ENI gets none (skips), except for ENIs already `handled`. */
function planMissingSessions(slice: ReconcileSlice, handled: ReadonlySet<string>): ReconcileAction[] {
  const running = slice.instances.filter((i) => i.state === 'running');
  const runningEnis = new Set(running.flatMap((i) => i.networkInterfaces.map((n) => n.networkInterfaceId)));
  const plan = planInterfaces({
    config: slice.config,
    instances: running,
    missingInstanceIds: [],
    missingNetworkInterfaceIds: [],
    interfaceSessions: slice.sessions.filter((s) => runningEnis.has(s.networkInterfaceId)),
    targetSessions: slice.targetSessions,
    accountTargets: slice.accountTargets,
    dryRun: false,
  });
  const skips: ReconcileAction[] = plan.results
    .filter((result) => result.outcome === 'skipped' && !handled.has(result.networkInterfaceId))
    .map((result) => ({
      action: 'skip',
      instanceId: result.instanceId,
      networkInterfaceId: result.networkInterfaceId,
      ...serviceLabel(result),
      reason: result.reason ?? 'skipped',
    }));
  const creates: ReconcileAction[] = plan.attachments.map((attachment) => ({
    action: 'create',
    instanceId: attachment.instanceId,
    networkInterfaceId: attachment.networkInterfaceId,
    ...serviceLabel(attachment),
    reason: 'not-mirrored',
    sessionNumber: attachment.sessionNumber,
    trafficMirrorTargetId: attachment.trafficMirrorTargetId,
    attachment,
  }));
  return [...skips, ...creates];
}

export function planReconcile(slice: ReconcileSlice): ReconcileAction[] {
  const actions = planOurSessions(slice);
  if (slice.mode === 'cleanup') return actions;
  // An ENI whose session is being removed is already explained by that delete.
  const handled = new Set(actions.map((a) => a.networkInterfaceId));
  return [...actions, ...planMissingSessions(slice, handled)];
}

/** What `autotap plan --json` and the workflow output show of an action (no internal decision data). */
export function publicAction(action: ReconcileAction): Omit<ReconcileAction, 'attachment'> {
  const { attachment: _attachment, ...shown } = action;
  return shown;
}
