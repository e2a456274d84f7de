import { participantKey, severityOf, severityRank, type Detection, type DetectionStatus } from './model.ts';

export type LifecycleEvent = 'new' | 'escalated' | 'closed' | 'updated' | 'stale';
/** The events a notification can be about. */
export type NotifiedEvent = 'new' | 'escalated' | 'closed';

export interface LifecyclePolicy {
  /** Below it a detection is recorded but nobody is told, until it escalates to or above it. */
  minRiskScore: number;
  /** A rise of at least this many points since the last notification is an escalation. */
  escalationDelta: number;
  notifyOnClose: boolean;
}

export const DEFAULT_LIFECYCLE_POLICY: LifecyclePolicy = {
  minRiskScore: 30,
  escalationDelta: 20,
  notifyOnClose: false,
};

/**
 * What is kept per detection between deliveries, deliberately small: one item per detection, written
 * with a condition on modTime so that concurrent deliveries cannot move it backwards.
 */
export interface DetectionRecord {
  id: string;
  modTime: number;
  riskScore: number;
  status: DetectionStatus;
  /** Keys of every offender and victim seen so far (participantKey), capped at MAX_RECORDED_PARTICIPANTS. */
  participants: string[];
  /** Epoch ms of the first delivery autotap saw. */
  firstSeen: number;
  lastNotified?: { event: NotifiedEvent; riskScore: number; at: number };
}

/** A detection with hundreds of victims must not grow the record past DynamoDB's item size. */
export const MAX_RECORDED_PARTICIPANTS = 100;

export interface LifecycleDecision {
  event: LifecycleEvent;
  notify: boolean;
  /** Human-readable, for logs and for the notification itself. */
  reasons: string[];
  /** What to store; for `stale`, the previous record unchanged (nothing to write). */
  record: DetectionRecord;
}

function involvedKeys(d: Detection): string[] {
  return d.participants.filter((p) => p.role === 'offender' || p.role === 'victim').map(participantKey);
}

function nextRecord(
  previous: DetectionRecord | undefined,
  d: Detection,
  now: number,
  notified: NotifiedEvent | undefined,
): DetectionRecord {
  const keys = [...new Set([...(previous?.participants ?? []), ...involvedKeys(d)])].slice(
    0,
    MAX_RECORDED_PARTICIPANTS,
  );
  const record: DetectionRecord = {
    id: d.id,
    modTime: d.modTime,
    riskScore: d.riskScore,
    status: d.status,
    participants: keys,
    firstSeen: previous?.firstSeen ?? now,
  };
  const lastNotified = notified ? { event: notified, riskScore: d.riskScore, at: now } : previous?.lastNotified;
  if (lastNotified) record.lastNotified = lastNotified;
  return record;
}

/** Why the update is an escalation, empty when it is not. */
function escalationReasons(previous: DetectionRecord, d: Detection, policy: LifecyclePolicy): string[] {
  const reasons: string[] = [];
  // Measured from what was last announced, so that a slow climb in small steps still escalates.
  const baseline = previous.lastNotified?.riskScore ?? previous.riskScore;
  const before = severityOf(baseline);
  const after = severityOf(d.riskScore);
  if (severityRank(after) > severityRank(before))
    reasons.push(`risk ${baseline} -> ${d.riskScore}: ${before} -> ${after}`);
  else if (d.riskScore - baseline >= policy.escalationDelta)
    reasons.push(`risk rose by ${d.riskScore - baseline} (${baseline} -> ${d.riskScore})`);
  else if (!previous.lastNotified && previous.riskScore < policy.minRiskScore && d.riskScore >= policy.minRiskScore) {
    reasons.push(`risk ${previous.riskScore} -> ${d.riskScore}: reached minRiskScore ${policy.minRiskScore}`);
  }
  const known = new Set(previous.participants);
  const fresh = d.participants.filter(
    (p) => (p.role === 'offender' || p.role === 'victim') && !known.has(participantKey(p)),
  );
  // A full record no longer tells new from forgotten participants.
  if (fresh.length > 0 && previous.participants.length < MAX_RECORDED_PARTICIPANTS) {
    for (const role of ['offender', 'victim']) {
      const count = fresh.filter((p) => p.role === role).length;
      if (count > 0) reasons.push(`${count} new ${role}${count > 1 ? 's' : ''}`);
    }
  }
  return reasons;
}

/**
 * Decides what a delivery means given what was recorded before. Pure: `now` is the caller's clock,
 * used only for firstSeen and lastNotified.at.
 */
export function decideLifecycle(
  previous: DetectionRecord | undefined,
  d: Detection,
  policy: LifecyclePolicy,
  now: number,
): LifecycleDecision {
  const belowMinimum = d.riskScore < policy.minRiskScore;
  const belowReason = `risk ${d.riskScore} is below minRiskScore ${policy.minRiskScore}`;

  if (!previous) {
    if (d.status === 'closed') {
      const notify = policy.notifyOnClose && !belowMinimum;
      const reasons = [
        'first seen already closed',
        ...(policy.notifyOnClose ? [] : ['notifyOnClose is off']),
        ...(belowMinimum ? [belowReason] : []),
      ];
      return { event: 'new', notify, reasons, record: nextRecord(undefined, d, now, notify ? 'new' : undefined) };
    }
    const notify = !belowMinimum;
    return {
      event: 'new',
      notify,
      reasons: notify ? ['first seen'] : ['first seen', belowReason],
      record: nextRecord(undefined, d, now, notify ? 'new' : undefined),
    };
  }

  if (d.modTime <= previous.modTime) {
    const reason =
      d.modTime === previous.modTime
        ? 'duplicate delivery (same mod_time)'
        : `out-of-order delivery (mod_time ${d.modTime} < recorded ${previous.modTime})`;
    return { event: 'stale', notify: false, reasons: [reason], record: previous };
  }

  if (d.status === 'closed' && previous.status !== 'closed') {
    const reasons = [d.resolution ? `closed: ${d.resolution}` : 'closed'];
    // Closing something nobody was told about would be the first and only message about it.
    const notify = policy.notifyOnClose && previous.lastNotified !== undefined;
    if (!policy.notifyOnClose) reasons.push('notifyOnClose is off');
    else if (!notify) reasons.push('never notified');
    return { event: 'closed', notify, reasons, record: nextRecord(previous, d, now, notify ? 'closed' : undefined) };
  }

  const escalation = d.status === 'closed' ? [] : escalationReasons(previous, d, policy);
  if (escalation.length > 0) {
    const notify = !belowMinimum;
    const reasons = notify ? escalation : [...escalation, belowReason];
    return {
      event: 'escalated',
      notify,
      reasons,
      record: nextRecord(previous, d, now, notify ? 'escalated' : undefined),
    };
  }

  const reasons = [previous.status === 'closed' && d.status !== 'closed' ? `reopened (${d.status})` : 'minor update'];
  return { event: 'updated', notify: false, reasons, record: nextRecord(previous, d, now, undefined) };
}
