import type { MirroringConfig } from '../config/schema.ts';
import { planInterfaces } from './plan.ts';
import { pickSessionNumber } from './session-numbers.ts';
import { decideScope } from './scope.ts';
import { candidateTargets, chooseTarget, targetLoads } from './targets.ts';
import { MANAGED_TAG, type Attachment, type Instance, type NetworkInterface, type Session, type Target } from './types.ts';

/**
 * Drift between the account and the configuration, decided for a slice of the account. The same
 * pure function serves the `reconcile` workflow, the `cleanup-sessions` workflow (stop, terminate,
 * detach) and `autotap plan`, so what `plan` shows is what `reconcile` does.
 */

export type ReconcileActionKind = 'create' | 'delete' | 'modify' | 'skip';

export interface ReconcileAction {
  action: ReconcileActionKind;
  instanceId: string;
  networkInterfaceId: string;
  reason?: string;
  sessionNumber?: number;
  trafficMirrorTargetId?: string;
  trafficMirrorFilterId?: string;
  trafficMirrorSessionId?: string;
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

export function planReconcile(slice: ReconcileSlice): ReconcileAction[] {
  const { config, mode } = slice;
  const actions: ReconcileAction[] = [];
  const owners = new Map<string, [Instance, NetworkInterface]>();
  for (const instance of slice.instances) for (const eni of instance.networkInterfaces) owners.set(eni.networkInterfaceId, [instance, eni]);
  const { targets } = candidateTargets(config, slice.accountTargets);
  const candidateIds = new Set(targets.map((t) => t.trafficMirrorTargetId));
  const existingTargetIds = new Set(slice.accountTargets.map((t) => t.trafficMirrorTargetId));
  const targetInterfaceIds = new Set(slice.accountTargets.flatMap((t) => (t.networkInterfaceId ? [t.networkInterfaceId] : [])));
  const loads = targetLoads(slice.targetSessions);

  const ours = slice.sessions.filter(isOurs).sort((a, b) => a.sessionNumber - b.sessionNumber || a.trafficMirrorSessionId.localeCompare(b.trafficMirrorSessionId));
  const keptOnEni = new Set<string>();
  for (const session of ours) {
    const base = {
      instanceId: session.tags['autotap:instance-id'] ?? '',
      networkInterfaceId: session.networkInterfaceId,
      trafficMirrorSessionId: session.trafficMirrorSessionId,
      sessionNumber: session.sessionNumber,
      trafficMirrorTargetId: session.trafficMirrorTargetId,
    };
    const remove = (reason: string) => actions.push({ ...base, action: 'delete', reason });
    const owner = owners.get(session.networkInterfaceId);
    if (!owner) {
      const standing = slice.otherInterfaces.get(session.networkInterfaceId);
      if (!standing) continue; // the ENI is gone, and EC2 deletes its sessions with it
      if (!standing.attachedInstanceId) remove('interface-detached');
      else if (GONE.has(standing.instanceState ?? '')) remove('instance-terminated');
      else if (STOPPED.has(standing.instanceState ?? '') && config.onStop === 'delete') remove('instance-stopped');
      continue;
    }
    const [instance, eni] = owner;
    base.instanceId = instance.instanceId;
    if (GONE.has(instance.state)) {
      remove('instance-terminated');
      continue;
    }
    if (STOPPED.has(instance.state)) {
      if (config.onStop === 'delete') remove('instance-stopped');
      continue;
    }
    if (mode === 'cleanup') continue;
    const outOfScope = decideScope(instance, eni, config.scope, targetInterfaceIds);
    if (outOfScope) {
      remove(outOfScope);
      continue;
    }
    if (keptOnEni.has(session.networkInterfaceId)) {
      remove('duplicate');
      continue;
    }
    keptOnEni.add(session.networkInterfaceId);
    const change: Partial<ReconcileAction> = {};
    const reasons: string[] = [];
    if (!candidateIds.has(session.trafficMirrorTargetId)) {
      const choice = chooseTarget(instance.availabilityZone, session.networkInterfaceId, targets, loads, config.crossAz);
      if ('reason' in choice) {
        actions.push({ ...base, action: 'skip', reason: choice.reason });
        continue;
      }
      change.trafficMirrorTargetId = choice.trafficMirrorTargetId;
      reasons.push(existingTargetIds.has(session.trafficMirrorTargetId) ? 'target-not-configured' : 'target-deleted');
    }
    if (session.trafficMirrorFilterId !== config.filterId) {
      change.trafficMirrorFilterId = config.filterId;
      reasons.push('filter-changed');
    }
    // Whether EC2 accepts two sessions of one number on an ENI is undocumented; if it did, the
    // order between them would be ambiguous, so autotap's session moves to a free number.
    const othersOnEni = slice.sessions.filter((s) => s.networkInterfaceId === session.networkInterfaceId && s.trafficMirrorSessionId !== session.trafficMirrorSessionId);
    if (othersOnEni.some((s) => s.sessionNumber === session.sessionNumber)) {
      const free = pickSessionNumber(othersOnEni.map((s) => s.sessionNumber), config.sessionNumber);
      if ('sessionNumber' in free) {
        change.sessionNumber = free.sessionNumber;
        reasons.push(SESSION_NUMBER_TAKEN);
      }
    }
    if (reasons.length > 0) actions.push({ ...base, ...change, action: 'modify', reason: reasons.join(',') });
  }

  if (mode === 'reconcile') {
    const running = slice.instances.filter((i) => i.state === 'running');
    const runningEnis = new Set(running.flatMap((i) => i.networkInterfaces.map((n) => n.networkInterfaceId)));
    const plan = planInterfaces({
      config,
      instances: running,
      missingInstanceIds: [],
      missingNetworkInterfaceIds: [],
      interfaceSessions: slice.sessions.filter((s) => runningEnis.has(s.networkInterfaceId)),
      targetSessions: slice.targetSessions,
      accountTargets: slice.accountTargets,
      dryRun: false,
    });
    // An ENI whose session is being removed is already explained by that delete.
    const handled = new Set(actions.map((a) => a.networkInterfaceId));
    for (const result of plan.results) {
      if (result.outcome === 'skipped' && !handled.has(result.networkInterfaceId)) actions.push({ action: 'skip', instanceId: result.instanceId, networkInterfaceId: result.networkInterfaceId, reason: result.reason ?? 'skipped' });
    }
    for (const attachment of plan.attachments) {
      actions.push({
        action: 'create',
        instanceId: attachment.instanceId,
        networkInterfaceId: attachment.networkInterfaceId,
        reason: 'not-mirrored',
        sessionNumber: attachment.sessionNumber,
        trafficMirrorTargetId: attachment.trafficMirrorTargetId,
        attachment,
      });
    }
  }
  return actions;
}

/** What `autotap plan --json` and the workflow output show of an action (no internal decision data). */
export function publicAction(action: ReconcileAction): Omit<ReconcileAction, 'attachment'> {
  const { attachment: _attachment, ...shown } = action;
  return shown;
}
