import type { MirroringConfig } from '../config/schema.ts';
import { forEachWithLimit } from '../parallel.ts';
import { attachInterface, unconfirmedCreates, type AttachPorts } from './attach.ts';
import { AwsRefusal, SessionNotFound } from './errors.ts';
import { publicAction, SESSION_NUMBER_TAKEN, type ReconcileAction } from './reconcile.ts';
import type { Session, SessionChange } from './types.ts';

export interface ApplyPorts extends AttachPorts {
  deleteSession(trafficMirrorSessionId: string): Promise<void>;
  modifySession(trafficMirrorSessionId: string, change: SessionChange): Promise<Session>;
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
export async function applyActions(
  actions: readonly ReconcileAction[],
  config: MirroringConfig,
  ports: ApplyPorts,
  dryRun: boolean,
): Promise<AppliedAction[]> {
  const applied: AppliedAction[] = new Array<AppliedAction>(actions.length);
  await forEachWithLimit(actions, APPLY_CONCURRENCY, async (action, index) => {
    applied[index] = await applyOne(action, config, ports, dryRun);
  });
  await createAgainWhereUnconfirmed(actions, applied, config, ports);
  return applied;
}

/**
 * Creates are confirmed in one batch per slice: a session no describe shows was replayed from a
 * token whose session was deleted, so that ENI is attached again with the next token generation
 * (and confirmed on its own, a rare path).
 */
async function createAgainWhereUnconfirmed(
  actions: readonly ReconcileAction[],
  applied: AppliedAction[],
  config: MirroringConfig,
  ports: ApplyPorts,
): Promise<void> {
  const unconfirmed = new Set((await unconfirmedCreates(applied, ports)).map((r) => r.trafficMirrorSessionId));
  for (const [index, result] of applied.entries()) {
    const action = actions[index];
    if (!unconfirmed.has(result.trafficMirrorSessionId) || !action?.attachment) continue;
    const again = await attachInterface(action.attachment, config, ports, { generation: 1 });
    applied[index] = { ...result, ...again, outcome: again.outcome };
  }
}

async function applyOne(
  action: ReconcileAction,
  config: MirroringConfig,
  ports: ApplyPorts,
  dryRun: boolean,
): Promise<AppliedAction> {
  const shown = publicAction(action);
  if (action.action === 'skip') return { ...shown, outcome: 'skipped' };
  if (dryRun) return { ...shown, outcome: 'planned' };
  try {
    switch (action.action) {
      case 'create': {
        if (!action.attachment) return { ...shown, outcome: 'failed', reason: 'no-attachment-planned' };
        const result = await attachInterface(action.attachment, config, ports, { confirm: false });
        return { ...shown, ...result, outcome: result.outcome, reason: result.reason ?? shown.reason };
      }
      case 'delete':
        await ports.deleteSession(action.trafficMirrorSessionId ?? '');
        return { ...shown, outcome: 'deleted' };
      case 'modify': {
        const change: SessionChange = {
          ...(action.trafficMirrorTargetId ? { trafficMirrorTargetId: action.trafficMirrorTargetId } : {}),
          ...(action.trafficMirrorFilterId ? { trafficMirrorFilterId: action.trafficMirrorFilterId } : {}),
          ...(action.packetLength !== undefined ? { packetLength: action.packetLength } : {}),
          ...(action.virtualNetworkId !== undefined ? { virtualNetworkId: action.virtualNetworkId } : {}),
          // Only a move off a taken number changes it: the action's number is otherwise the current one.
          ...(action.sessionNumber !== undefined && action.reason?.split(',').includes(SESSION_NUMBER_TAKEN)
            ? { sessionNumber: action.sessionNumber }
            : {}),
        };
        await ports.modifySession(action.trafficMirrorSessionId ?? '', change);
        return { ...shown, outcome: 'modified' };
      }
    }
  } catch (error) {
    // A delete of a session already gone has done its job; a refusal is this action's failure; a
    // RetryableError (or anything unknown) goes up, and the state machine retries the batch whole.
    if (action.action === 'delete' && error instanceof SessionNotFound)
      return { ...shown, outcome: 'deleted', reason: `${shown.reason ?? ''},already-gone` };
    if (error instanceof AwsRefusal) return { ...shown, outcome: 'failed', reason: error.reason };
    throw error;
  }
}
