import type { AppliedAction } from './apply.ts';
import { serviceLabel, type EniResult, type ServiceLabel } from './types.ts';

/**
 * autotap's own events: what its workflows did to mirror sessions, published on EventBridge so
 * users can route them (a SIEM, a CMDB, a chat channel) with ordinary rules. One event per ENI and
 * change; the detail is the per-ENI result in the words of the workflow's output.
 */

export const AUTOTAP_EVENT_SOURCE = 'autotap';

export const DETAIL_TYPES = {
  /** A session was attached to an ENI (by mirror-instances, or by reconcile for an ENI that had none). */
  created: 'Mirror Session Created',
  /** An autotap session was deleted (instance stopped or terminated, ENI detached, out of scope, duplicate). */
  deleted: 'Mirror Session Deleted',
  /** reconcile pointed an autotap session back at a configured target or the configured filter. */
  repaired: 'Drift Repaired',
  /** An ENI was looked at and not mirrored, for the given reason. */
  skipped: 'Interface Skipped',
  /** Mirroring an ENI, or changing its session, failed after the retries. */
  failed: 'Mirroring Failed',
} as const;

export type AutotapDetailType = (typeof DETAIL_TYPES)[keyof typeof DETAIL_TYPES];
export type AutotapWorkflow = 'mirror-instances' | 'reconcile' | 'cleanup-sessions';

export interface AutotapEventDetail extends ServiceLabel {
  workflow: AutotapWorkflow;
  executionArn?: string;
  /** Empty for an ENI on no instance (`loadBalancer` or `requester` says whose it is). */
  instanceId: string;
  networkInterfaceId: string;
  reason?: string;
  sessionNumber?: number;
  trafficMirrorSessionId?: string;
  trafficMirrorTargetId?: string;
  trafficMirrorFilterId?: string;
}

export interface AutotapEvent {
  source: typeof AUTOTAP_EVENT_SOURCE;
  detailType: AutotapDetailType;
  detail: AutotapEventDetail;
}

export interface EventOrigin {
  workflow: AutotapWorkflow;
  executionArn?: string;
}

type Fields = Omit<AutotapEventDetail, 'workflow' | 'executionArn'>;

function event(detailType: AutotapDetailType, fields: Fields, origin: EventOrigin): AutotapEvent {
  const detail: AutotapEventDetail = {
    workflow: origin.workflow,
    ...(origin.executionArn ? { executionArn: origin.executionArn } : {}),
    instanceId: fields.instanceId,
    networkInterfaceId: fields.networkInterfaceId,
    // Absent rather than null: an EventBridge pattern can then test for a field with `exists`.
    ...serviceLabel(fields),
  };
  if (fields.reason) detail.reason = fields.reason;
  if (fields.sessionNumber !== undefined) detail.sessionNumber = fields.sessionNumber;
  if (fields.trafficMirrorSessionId) detail.trafficMirrorSessionId = fields.trafficMirrorSessionId;
  if (fields.trafficMirrorTargetId) detail.trafficMirrorTargetId = fields.trafficMirrorTargetId;
  if (fields.trafficMirrorFilterId) detail.trafficMirrorFilterId = fields.trafficMirrorFilterId;
  return { source: AUTOTAP_EVENT_SOURCE, detailType, detail };
}

/**
 * Events of a mirror-instances execution. `already-mirrored` is no news, and a dry run changed
 * nothing, so neither is published.
 */
export function eventsForResults(results: readonly EniResult[], origin: EventOrigin): AutotapEvent[] {
  const events: AutotapEvent[] = [];
  for (const result of results) {
    if (result.outcome === 'created') events.push(event(DETAIL_TYPES.created, result, origin));
    else if (result.outcome === 'skipped' && result.reason !== 'dry-run')
      events.push(event(DETAIL_TYPES.skipped, result, origin));
    else if (result.outcome === 'failed') events.push(event(DETAIL_TYPES.failed, result, origin));
  }
  return events;
}

/**
 * Events of a reconcile or cleanup slice: what it changed or tried to change. A planned `skip`
 * is a standing condition that every scheduled run finds again (an excluded instance stays
 * excluded), so it is not an event; a create that ended skipped was an attempt, so it is.
 */
export function eventsForActions(actions: readonly AppliedAction[], origin: EventOrigin): AutotapEvent[] {
  const events: AutotapEvent[] = [];
  for (const action of actions) {
    switch (action.outcome) {
      case 'created':
        events.push(event(DETAIL_TYPES.created, action, origin));
        break;
      case 'deleted':
        events.push(event(DETAIL_TYPES.deleted, action, origin));
        break;
      case 'modified':
        events.push(event(DETAIL_TYPES.repaired, action, origin));
        break;
      case 'failed':
        events.push(event(DETAIL_TYPES.failed, action, origin));
        break;
      case 'skipped':
        if (action.action !== 'skip' && action.reason !== 'dry-run')
          events.push(event(DETAIL_TYPES.skipped, action, origin));
        break;
      case 'already-mirrored':
      case 'planned':
        break;
    }
  }
  return events;
}

/** The workflow a reconcile slice belongs to, from the slice's mode. */
export function workflowOfMode(mode: 'reconcile' | 'cleanup'): AutotapWorkflow {
  return mode === 'cleanup' ? 'cleanup-sessions' : 'reconcile';
}
