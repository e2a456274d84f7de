import type { AppliedAction } from './apply.ts';
import { INSTANCE_TAG, isManagedSession, type EniResult, type Session } from './types.ts';

/**
 * The registry of the sessions autotap manages: one record per session, written when autotap creates
 * or changes one and removed when it deletes one. EC2 names only the session in a
 * DeleteTrafficMirrorSession call (and the session is gone by then), so the registry is where a
 * deletion by someone else finds the ENI and instance to restore; it is also the one list of
 * autotap's sessions and why each exists. The account stays the truth: every full reconcile round
 * lines the registry up with the sessions EC2 shows.
 */

export type RecordingWorkflow = 'mirror-instances' | 'reconcile' | 'cleanup-sessions';

export interface SessionRecord {
  trafficMirrorSessionId: string;
  networkInterfaceId: string;
  instanceId: string;
  trafficMirrorTargetId: string;
  sessionNumber: number;
  /** The workflow that created the session or changed it last, and its execution when known. */
  workflow: RecordingWorkflow;
  executionArn?: string;
  /** Why the session exists: the trigger or reconcile reason that created or last changed it. */
  reason: string;
  /** ISO time of the write. */
  recordedAt: string;
  /** Where the session is, in an organization; absent: the account and Region of the stack. */
  accountId?: string;
  region?: string;
}

export interface SessionRegistry {
  record(records: readonly SessionRecord[]): Promise<void>;
  forget(trafficMirrorSessionIds: readonly string[]): Promise<void>;
  lookup(trafficMirrorSessionId: string): Promise<SessionRecord | undefined>;
  list(): Promise<SessionRecord[]>;
}

export interface RegistryChanges {
  record: SessionRecord[];
  forget: string[];
}

export interface RecordingContext {
  workflow: RecordingWorkflow;
  executionArn?: string;
  now: Date;
  /** The account and Region the workflow acted in, in an organization. */
  place?: { accountId: string; region: string };
}

const origin = (ctx: RecordingContext) => ({
  workflow: ctx.workflow,
  ...(ctx.executionArn ? { executionArn: ctx.executionArn } : {}),
  recordedAt: ctx.now.toISOString(),
  ...(ctx.place ? { accountId: ctx.place.accountId, region: ctx.place.region } : {}),
});

/**
 * Whether a record is of the place a round described. A record without a place is the stack's own
 * account and Region: the home place, or any place of a stack without an organization.
 */
export function recordedIn(
  record: Pick<SessionRecord, 'accountId' | 'region'>,
  place: { accountId: string; region: string } | undefined,
  home: { accountId: string; region: string } | undefined,
): boolean {
  if (!place) return record.accountId === undefined;
  const at = record.accountId !== undefined ? { accountId: record.accountId, region: record.region } : home;
  return at !== undefined && at.accountId === place.accountId && at.region === place.region;
}

type Located = Pick<EniResult, 'instanceId' | 'networkInterfaceId'> & {
  trafficMirrorSessionId?: string | undefined;
  trafficMirrorTargetId?: string | undefined;
  sessionNumber?: number | undefined;
};

function recordOf(result: Located, reason: string, ctx: RecordingContext): SessionRecord[] {
  const { trafficMirrorSessionId, trafficMirrorTargetId, sessionNumber } = result;
  if (!trafficMirrorSessionId || !trafficMirrorTargetId || sessionNumber === undefined) return [];
  return [
    {
      trafficMirrorSessionId,
      networkInterfaceId: result.networkInterfaceId,
      instanceId: result.instanceId,
      trafficMirrorTargetId,
      sessionNumber,
      reason,
      ...origin(ctx),
    },
  ];
}

/** What `mirror-instances` adds: the sessions it created. One it found already there is a reconcile's to record. */
export function recordsOfMirroring(
  results: readonly EniResult[],
  reason: string,
  ctx: RecordingContext,
): SessionRecord[] {
  return results.filter((r) => r.outcome === 'created').flatMap((r) => recordOf(r, reason, ctx));
}

/** What applied reconcile or cleanup actions change: creates and modifies recorded, deletes forgotten. */
export function changesOfApplied(applied: readonly AppliedAction[], ctx: RecordingContext): RegistryChanges {
  const changes: RegistryChanges = { record: [], forget: [] };
  for (const action of applied) {
    if (action.outcome === 'created' || action.outcome === 'modified')
      changes.record.push(...recordOf(action, action.reason ?? action.action, ctx));
    else if (action.outcome === 'deleted' && action.trafficMirrorSessionId)
      changes.forget.push(action.trafficMirrorSessionId);
  }
  return changes;
}

/** Why a record written by a reconcile that found a session autotap had not recorded (made before the registry, or its write lost). */
export const FOUND_REASON = 'found-by-reconcile';

/**
 * How recent a record may be and still be forgotten when EC2 does not show its session: describes
 * are eventually consistent (https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html),
 * so a session created shortly before the describe may be missing from it.
 */
export const RECORD_SETTLE_MS = 5 * 60_000;

/**
 * Lines the registry up with the account: autotap's sessions that EC2 shows and the registry lacks
 * are recorded; records whose session EC2 no longer shows are forgotten, unless written less than
 * RECORD_SETTLE_MS before `describedAt` (or after it).
 */
export function registryDrift(
  records: readonly SessionRecord[],
  sessions: readonly Session[],
  describedAt: Date,
  ctx: RecordingContext,
): RegistryChanges {
  // Only the snapshot's own account can be lined up with it: other accounts' sessions are theirs.
  const ours = sessions.filter(
    (s) => isManagedSession(s) && (!ctx.place || !s.ownerId || s.ownerId === ctx.place.accountId),
  );
  const shown = new Set(ours.map((s) => s.trafficMirrorSessionId));
  const known = new Set(records.map((r) => r.trafficMirrorSessionId));
  const record = ours
    .filter((s) => !known.has(s.trafficMirrorSessionId))
    .flatMap((s) => recordOf({ ...s, instanceId: s.tags[INSTANCE_TAG] ?? '' }, FOUND_REASON, ctx));
  const forget = records
    .filter(
      (r) =>
        !shown.has(r.trafficMirrorSessionId) && Date.parse(r.recordedAt) < describedAt.getTime() - RECORD_SETTLE_MS,
    )
    .map((r) => r.trafficMirrorSessionId);
  return { record, forget };
}

/** Applies changes to a registry, forgetting first (a modify's record may replace nothing, a delete's never comes back). */
export async function applyRegistryChanges(registry: SessionRegistry, changes: RegistryChanges): Promise<void> {
  if (changes.forget.length > 0) await registry.forget(changes.forget);
  if (changes.record.length > 0) await registry.record(changes.record);
}
