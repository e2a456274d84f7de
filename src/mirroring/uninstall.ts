import { EVENT_RULES, ruleName, SCHEDULE_RULE } from './event-rules.ts';
import { AwsRefusal, RetryableError, SessionNotFound } from './errors.ts';
import { INSTANCE_TAG, isManagedSession, type Session } from './types.ts';

/**
 * Removing autotap from an account: every traffic mirror session autotap created goes (each is
 * billed per hour and outlives the stack), every other session stays. The decisions are here, pure;
 * `autotap uninstall` supplies the account through the EC2 adapter.
 */

/**
 * A session that names its stage in this tag belongs to that stage only. autotap does not write it
 * today (its sessions carry MANAGED_TAG and INSTANCE_TAG), so every session with autotap's tag is
 * the stage's; a session tagged for another stage is left to that stage's uninstall.
 */
export const STAGE_TAG = 'autotap:stage';

export type KeptBecause = 'not-autotap' | 'other-stage';

export interface UninstallPlan {
  stage: string;
  /** autotap's sessions of this stage: the ones to delete. */
  remove: Session[];
  /** Sessions left as they are, counted by why. */
  kept: Record<KeptBecause, number>;
}

export function planUninstall(sessions: readonly Session[], stage: string): UninstallPlan {
  const plan: UninstallPlan = { stage, remove: [], kept: { 'not-autotap': 0, 'other-stage': 0 } };
  for (const session of sessions) {
    const because = keptBecause(session, stage);
    if (because) plan.kept[because] += 1;
    else plan.remove.push(session);
  }
  return plan;
}

function keptBecause(session: Session, stage: string): KeptBecause | undefined {
  // Only the tag counts: a description such as "autotap: i-..." can be copied by anyone.
  if (!isManagedSession(session)) return 'not-autotap';
  const taggedStage = session.tags[STAGE_TAG];
  if (taggedStage !== undefined && taggedStage !== stage) return 'other-stage';
  return undefined;
}

/**
 * The stage's EventBridge rules that start workflows creating sessions (names as the stack gives
 * them in serverless.yml): while one is enabled, a launch or the reconcile schedule may create a
 * session again right after it was deleted. The cleanup rules only delete, so they do no harm.
 */
export function sessionCreatingRuleNames(stage: string): string[] {
  return [...EVENT_RULES.filter((rule) => rule.createsSessions), SCHEDULE_RULE].map((rule) => ruleName(stage, rule));
}

export interface RuleState {
  name: string;
  state: string;
}

/** The stage's session-creating rules that are on (any state but DISABLED can match events). */
export function enabledCreatingRules(rules: readonly RuleState[], stage: string): string[] {
  const creating = new Set(sessionCreatingRuleNames(stage));
  return rules.filter((r) => creating.has(r.name) && r.state !== 'DISABLED').map((r) => r.name);
}

export interface UninstallPorts {
  deleteSession: (trafficMirrorSessionId: string) => Promise<void>;
  /** Waits between throttled attempts. */
  sleep?: (ms: number) => Promise<void>;
  /** In [0, 1): the jitter of the pauses. */
  random?: () => number;
}

export type DeletionOutcome = 'deleted' | 'already-gone' | 'failed';

export interface DeletionResult {
  trafficMirrorSessionId: string;
  networkInterfaceId: string;
  instanceId?: string;
  outcome: DeletionOutcome;
  /** Why it failed: autotap's word for AWS's refusal, or the AWS code. */
  reason?: string;
}

/**
 * Attempts per session while EC2 answers throttled or unavailable. The SDK already retried each call
 * (3 attempts by default); these pauses, growing to THROTTLE_CAP_MS, let EC2's mutating bucket refill.
 */
export const MAX_DELETE_ATTEMPTS = 8;
export const THROTTLE_BASE_MS = 500;
export const THROTTLE_CAP_MS = 20_000;

/** Exponential backoff with full jitter: AWS's advice for throttled calls. */
export function pauseBeforeAttempt(attempt: number, random: number): number {
  return Math.floor(random * Math.min(THROTTLE_CAP_MS, THROTTLE_BASE_MS * 2 ** (attempt - 1)));
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Deletes the sessions one after the other (deletes share EC2's small bucket of mutating calls; in
 * parallel they would only be throttled sooner). A session already gone counts as done, so a second
 * run after an interrupted one finishes the job; a refusal, or throttling that outlasts
 * MAX_DELETE_ATTEMPTS, is reported for that session and the rest go on: running again retries it.
 */
export async function deleteManagedSessions(
  sessions: readonly Session[],
  ports: UninstallPorts,
): Promise<DeletionResult[]> {
  const sleep = ports.sleep ?? realSleep;
  const random = ports.random ?? Math.random;
  const results: DeletionResult[] = [];
  for (const session of sessions) {
    results.push({
      ...shownSession(session),
      ...(await deleteOne(session.trafficMirrorSessionId, ports.deleteSession, sleep, random)),
    });
  }
  return results;
}

/** What a report shows of a session: its id, its ENI and the instance autotap created it for. */
export function shownSession(session: Session): Omit<DeletionResult, 'outcome'> {
  const instanceId = session.tags[INSTANCE_TAG];
  return {
    trafficMirrorSessionId: session.trafficMirrorSessionId,
    networkInterfaceId: session.networkInterfaceId,
    ...(instanceId ? { instanceId } : {}),
  };
}

async function deleteOne(
  id: string,
  deleteSession: UninstallPorts['deleteSession'],
  sleep: (ms: number) => Promise<void>,
  random: () => number,
): Promise<{ outcome: DeletionOutcome; reason?: string }> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await deleteSession(id);
      return { outcome: 'deleted' };
    } catch (error) {
      if (error instanceof SessionNotFound) return { outcome: 'already-gone' };
      if (error instanceof AwsRefusal) return { outcome: 'failed', reason: error.reason };
      if (!(error instanceof RetryableError)) throw error;
      // Still throttled after every pause: this one is reported, the next sessions are tried.
      if (attempt >= MAX_DELETE_ATTEMPTS) return { outcome: 'failed', reason: error.name };
      await sleep(pauseBeforeAttempt(attempt, random()));
    }
  }
}

export function countOutcomes(results: readonly DeletionResult[]): Record<DeletionOutcome, number> {
  const counts: Record<DeletionOutcome, number> = { deleted: 0, 'already-gone': 0, failed: 0 };
  for (const r of results) counts[r.outcome] += 1;
  return counts;
}
