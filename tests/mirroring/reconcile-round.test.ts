import fc from 'fast-check';
import type { AppliedAction } from '../../src/mirroring/apply.ts';
import { RetryableError } from '../../src/mirroring/errors.ts';
import type { ReconcileAction } from '../../src/mirroring/reconcile.ts';
import { actionKey, actionsAfter, applyRound } from '../../src/mirroring/reconcile-round.ts';

const create = (eni: string): ReconcileAction => ({
  action: 'create',
  instanceId: `i-${eni}`,
  networkInterfaceId: `eni-${eni}`,
});
const remove = (eni: string, session: string): ReconcileAction => ({
  action: 'delete',
  instanceId: `i-${eni}`,
  networkInterfaceId: `eni-${eni}`,
  trafficMirrorSessionId: `tms-${session}`,
});
const done = (batch: readonly ReconcileAction[]): Promise<AppliedAction[]> =>
  Promise.resolve(
    batch.map(({ attachment: _a, ...a }) => ({ ...a, outcome: a.action === 'create' ? 'created' : 'deleted' })),
  );

describe('actionsAfter', () => {
  it('orders by ENI, session and kind, and keeps only what is after the cursor', () => {
    const plan = [create('0c'), remove('0a', '2'), create('0b'), remove('0a', '1')];
    expect(actionsAfter(plan, '').map(actionKey)).toEqual([
      'eni-0a tms-1 delete',
      'eni-0a tms-2 delete',
      'eni-0b - create',
      'eni-0c - create',
    ]);
    expect(actionsAfter(plan, 'eni-0a tms-2 delete').map((a) => a.networkInterfaceId)).toEqual(['eni-0b', 'eni-0c']);
  });
});

describe('applyRound', () => {
  const plan = Array.from({ length: 7 }, (_, i) => create(`0${i}`));

  it('applies one batch even without time, then leaves the rest with a cursor after that batch', async () => {
    const round = await applyRound(plan, '', done, () => false, 3);
    expect(round.applied.map((a) => a.networkInterfaceId)).toEqual(['eni-00', 'eni-01', 'eni-02']);
    expect(round).toMatchObject({ cursor: 'eni-02 - create', remaining: 4 });
  });

  it('applies everything while there is time', async () => {
    const round = await applyRound(plan, '', done, () => true, 3);
    expect(round.applied).toHaveLength(7);
    expect(round.remaining).toBe(0);
  });

  it('ends early with what is done when throttled after progress; throws when throttled before any', async () => {
    let batches = 0;
    const throttledSecond = (batch: readonly ReconcileAction[]) =>
      ++batches === 2 ? Promise.reject(new RetryableError('Throttled', 'slow down')) : done(batch);
    const round = await applyRound(plan, '', throttledSecond, () => true, 3);
    expect(round).toMatchObject({ cursor: 'eni-02 - create', remaining: 4 });
    await expect(
      applyRound(
        plan,
        '',
        () => Promise.reject(new RetryableError('Throttled', 'slow down')),
        () => true,
        3,
      ),
    ).rejects.toThrow(RetryableError);
  });

  it('rounds with any time budget settle every planned action exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 80 }),
        async (size, batch, budgets) => {
          const account = Array.from({ length: size }, (_, i) => create(i.toString(16).padStart(3, '0')));
          const seen: string[] = [];
          let cursor = '';
          for (let r = 0; r < 200; r += 1) {
            // Each round plans the whole account again, as the Lambda does.
            let left = budgets[r % budgets.length]!;
            const round = await applyRound(actionsAfter(account, cursor), cursor, done, () => left-- > 0, batch);
            seen.push(...round.applied.map((a) => a.networkInterfaceId));
            cursor = round.cursor;
            if (round.remaining === 0) break;
          }
          expect(seen.sort()).toEqual(account.map((a) => a.networkInterfaceId).sort());
        },
      ),
    );
  });
});
