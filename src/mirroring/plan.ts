import type { MirroringConfig } from '../config/schema.ts';
import { decideScope } from './scope.ts';
import { sessionChoice } from './session-choices.ts';
import { pickSessionNumber } from './session-numbers.ts';
import { candidateTargets, chooseTarget, targetInterfaceIdsOf, targetLoads } from './targets.ts';
import {
  serviceLabel,
  MANAGED_TAG,
  type Attachment,
  type EniResult,
  type Instance,
  type NetworkInterface,
  type Session,
  type SkipReason,
  type Target,
} from './types.ts';

export interface InterfacePlanInput {
  config: MirroringConfig;
  /** The instances found, each with only the ENIs this execution is about. */
  instances: Instance[];
  /** Instance ids asked for and not found (after the retries for eventual consistency). */
  missingInstanceIds: string[];
  /** ENI ids asked for and not found, or not attached to any instance. */
  missingNetworkInterfaceIds: string[];
  /** ENIs asked for that are on no instance and skipped before any planning, each with its reason. */
  skippedInterfaces?: { networkInterfaceId: string; reason: SkipReason }[];
  /** Every session on the ENIs of `instances`. */
  interfaceSessions: Session[];
  /** Every session on the candidate targets, to know their load. */
  targetSessions: Session[];
  /**
   * Every mirror target of the account; undefined when they were not described (no ENI to plan),
   * so that no configured target is claimed missing without EC2 having said so.
   */
  accountTargets: Target[] | undefined;
  dryRun: boolean;
  /**
   * In an organization every Region shares one target list, and each target lives in one Region:
   * configured targets a place does not see are expected there, and only a place that sees none of
   * them lacks targets.
   */
  targetsInOtherRegions?: boolean;
}

export interface InterfacePlan {
  /** ENIs already decided: skipped or already mirrored. */
  results: EniResult[];
  /** ENIs to attach a session to. */
  attachments: Attachment[];
  /** Configured targets the account does not have. */
  missingTargets: string[];
}

/** The VNI of a VPC that has its own (`virtualNetworkIds`); nothing for the others, which get `virtualNetworkId`. */
export function vniOf(vpcId: string | undefined, config: MirroringConfig): { virtualNetworkId?: number } {
  const vni = vpcId === undefined ? undefined : config.virtualNetworkIds[vpcId];
  return vni === undefined ? {} : { virtualNetworkId: vni };
}

/**
 * Every decision of the workflow for one execution, on data already described: scope, existing
 * sessions, session number and target per ENI. Pure, so the reconciler and `autotap simulate` take
 * exactly the same decisions.
 */
export function planInterfaces(input: InterfacePlanInput): InterfacePlan {
  const { config } = input;
  const accountTargets = input.accountTargets ?? [];
  const { targets, missing } = candidateTargets(config, accountTargets);
  const autotapTargetIds = new Set(targets.map((t) => t.trafficMirrorTargetId));
  const targetInterfaceIds = targetInterfaceIdsOf(accountTargets);
  const sessionsByEni = new Map<string, Session[]>();
  for (const s of input.interfaceSessions) {
    sessionsByEni.set(s.networkInterfaceId, [...(sessionsByEni.get(s.networkInterfaceId) ?? []), s]);
  }
  const loads = targetLoads(input.targetSessions);
  const results: EniResult[] = [];
  const attachments: Attachment[] = [];

  for (const instanceId of input.missingInstanceIds) {
    results.push({ instanceId, networkInterfaceId: '', outcome: 'skipped', reason: 'not-found' });
  }
  for (const networkInterfaceId of input.missingNetworkInterfaceIds) {
    results.push({ instanceId: '', networkInterfaceId, outcome: 'skipped', reason: 'not-found' });
  }
  for (const { networkInterfaceId, reason } of input.skippedInterfaces ?? []) {
    results.push({ instanceId: '', networkInterfaceId, outcome: 'skipped', reason });
  }

  const ordered = input.instances.flatMap((instance) =>
    [...instance.networkInterfaces]
      .sort((a, b) => a.deviceIndex - b.deviceIndex)
      .map((eni): [Instance, NetworkInterface] => [instance, eni]),
  );
  for (const [instance, eni] of ordered) {
    const base = {
      instanceId: instance.instanceId,
      networkInterfaceId: eni.networkInterfaceId,
      ...serviceLabel(instance),
    };
    const outOfScope = decideScope(instance, eni, config.scope, targetInterfaceIds);
    if (outOfScope) {
      results.push({ ...base, outcome: 'skipped', reason: outOfScope });
      continue;
    }
    const existing = sessionsByEni.get(eni.networkInterfaceId) ?? [];
    const ours = existing.find((s) => s.tags[MANAGED_TAG] === 'true' || autotapTargetIds.has(s.trafficMirrorTargetId));
    if (ours) {
      results.push({
        ...base,
        outcome: 'already-mirrored',
        sessionNumber: ours.sessionNumber,
        trafficMirrorSessionId: ours.trafficMirrorSessionId,
        trafficMirrorTargetId: ours.trafficMirrorTargetId,
      });
      continue;
    }
    const usedSessionNumbers = existing.map((s) => s.sessionNumber);
    const number = pickSessionNumber(usedSessionNumbers, config.sessionNumber);
    if ('reason' in number) {
      results.push({ ...base, outcome: 'skipped', reason: number.reason });
      continue;
    }
    const target = chooseTarget(instance.availabilityZone, eni.networkInterfaceId, targets, loads, config.crossAz);
    if ('reason' in target) {
      results.push({ ...base, outcome: 'skipped', reason: target.reason });
      continue;
    }
    attachments.push({
      ...base,
      trafficMirrorTargetId: target.trafficMirrorTargetId,
      alternativeTargetIds: target.alternativeTargetIds,
      ...sessionChoice(instance, config),
      sessionNumber: number.sessionNumber,
      usedSessionNumbers,
      ...vniOf(eni.vpcId ?? instance.vpcId, config),
      ...(instance.launchTime ? { launchTime: instance.launchTime } : {}),
      dryRun: input.dryRun,
    });
  }
  const noneVisible = missing.length === config.targets.length;
  const reported = input.accountTargets && (!input.targetsInOtherRegions || noneVisible) ? missing : [];
  return { results, attachments, missingTargets: reported };
}
