import type { MirroringConfig } from '../config/schema.ts';
import { attachInterface, type AttachPorts } from './attach.ts';
import { classifyEc2Error, isSessionGone, RetryableError } from './errors.ts';
import { publicAction, type ReconcileAction } from './reconcile.ts';
import type { Session } from './types.ts';

export interface ApplyPorts extends AttachPorts {
  deleteSession(trafficMirrorSessionId: string): Promise<void>;
  modifySession(trafficMirrorSessionId: string, change: { trafficMirrorTargetId?: string; trafficMirrorFilterId?: string }): Promise<Session>;
}

export type AppliedOutcome = 'created' | 'deleted' | 'modified' | 'already-mirrored' | 'skipped' | 'failed' | 'planned';

export type AppliedAction = ReturnType<typeof publicAction> & { outcome: AppliedOutcome };

/** Parallel EC2 writes per Lambda: EC2 throttles mutating calls per account, more buys nothing. */
export const APPLY_CONCURRENCY = 4;

/**
 * Carries out planned actions. Every action is idempotent (deterministic ClientToken, a delete of a
 * session already gone is done, a modify to the same values is a no-op), so a throttled batch is
 * thrown back to the state machine whole and retried whole.
 */
export async function applyActions(actions: readonly ReconcileAction[], config: MirroringConfig, ports: ApplyPorts, dryRun: boolean): Promise<AppliedAction[]> {
  const applied: AppliedAction[] = new Array(actions.length);
  let next = 0;
  const worker = async () => {
    while (next < actions.length) {
      const index = next++;
      const action = actions[index];
      if (action) applied[index] = await applyOne(action, config, ports, dryRun);
    }
  };
  await Promise.all(Array.from({ length: Math.min(APPLY_CONCURRENCY, actions.length) }, worker));
  return applied;
}

async function applyOne(action: ReconcileAction, config: MirroringConfig, ports: ApplyPorts, dryRun: boolean): Promise<AppliedAction> {
  const shown = publicAction(action);
  if (action.action === 'skip') return { ...shown, outcome: 'skipped' };
  if (dryRun) return { ...shown, outcome: 'planned' };
  try {
    switch (action.action) {
      case 'create': {
        if (!action.attachment) return { ...shown, outcome: 'failed', reason: 'no-attachment-planned' };
        const result = await attachInterface(action.attachment, config, ports);
        const outcome = result.outcome === 'created' || result.outcome === 'already-mirrored' || result.outcome === 'failed' ? result.outcome : 'skipped';
        return { ...shown, ...result, outcome, reason: result.reason ?? shown.reason };
      }
      case 'delete':
        await ports.deleteSession(action.trafficMirrorSessionId ?? '');
        return { ...shown, outcome: 'deleted' };
      case 'modify': {
        const change = {
          ...(action.trafficMirrorTargetId ? { trafficMirrorTargetId: action.trafficMirrorTargetId } : {}),
          ...(action.trafficMirrorFilterId ? { trafficMirrorFilterId: action.trafficMirrorFilterId } : {}),
        };
        await ports.modifySession(action.trafficMirrorSessionId ?? '', change);
        return { ...shown, outcome: 'modified' };
      }
    }
  } catch (error) {
    if (error instanceof RetryableError) throw error;
    if (action.action === 'delete' && isSessionGone(error as Error)) return { ...shown, outcome: 'deleted', reason: `${shown.reason ?? ''},already-gone` };
    const verdict = classifyEc2Error(error as Error);
    if (verdict.action === 'retry') throw new RetryableError(verdict.error, `${action.trafficMirrorSessionId ?? action.networkInterfaceId}: ${(error as Error).name}`);
    return { ...shown, outcome: 'failed', reason: verdict.action === 'fail' ? verdict.reason : (error as Error).name };
  }
}
