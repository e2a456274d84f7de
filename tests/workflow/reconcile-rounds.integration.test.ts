import { parseConfig } from '../../src/config/load.ts';
import { ROUND_BATCH, ROUND_RESERVE_MS } from '../../src/mirroring/reconcile-round.ts';
import type { EmulatorSeed } from '../../local/emulator/index.ts';
import { startLocalAutotap, type LocalAutotap } from '../../local/environment.ts';

/**
 * `reconcile` in rounds through the real definition: a round with no time left still settles one
 * batch, the Choice loops until nothing is left, and every change is counted once.
 */

const config = parseConfig({ mirroring: { filterId: 'tmf-0f1', targets: [{ id: 'tmt-0a1' }] } });
const INSTANCES = 150;

function account(extra: Partial<EmulatorSeed> = {}): EmulatorSeed {
  return {
    targets: [{ id: 'tmt-0a1', type: 'network-load-balancer' }],
    filters: [{ id: 'tmf-0f1' }],
    instances: Array.from({ length: INSTANCES }, (_, i) => ({
      id: `i-${(0x1000 + i).toString(16)}`,
      networkInterfaces: [{ id: `eni-${(0x1000 + i).toString(16)}` }],
    })),
    ...extra,
  };
}

let local: LocalAutotap;
afterEach(async () => {
  await local?.close();
});

const countsOf = (output: unknown) => (output as { counts: Record<string, number> }).counts;

it('loops rounds until every planned change is applied, counting each once', async () => {
  local = await startLocalAutotap(account(), config);
  const invocations: Record<string, number> = {};
  // Each round's deadline is already past when it starts: one batch per round.
  const run = await local.run(
    'reconcile',
    {},
    {
      timeoutsMs: { reconcileRound: ROUND_RESERVE_MS },
      onInvoke: (fn) => (invocations[fn] = (invocations[fn] ?? 0) + 1),
    },
  );
  expect(run.status).toBe('SUCCEEDED');
  expect(countsOf(run.output)).toEqual({ created: INSTANCES });
  expect(invocations.reconcileRound).toBe(Math.ceil(INSTANCES / ROUND_BATCH));
  const managed = local.emulator.sessions().filter((s) => s.tags['autotap:managed'] === 'true');
  expect(new Set(managed.map((s) => s.networkInterfaceId)).size).toBe(INSTANCES);
  expect(managed).toHaveLength(INSTANCES);
  // The state holds counts and a few examples, whatever the number of changes.
  expect(run.largestPayloadBytes).toBeLessThan(48 * 1024);
});

it('with time, one round does it all', async () => {
  local = await startLocalAutotap(account(), config);
  const invocations: Record<string, number> = {};
  const run = await local.run('reconcile', {}, { onInvoke: (fn) => (invocations[fn] = (invocations[fn] ?? 0) + 1) });
  expect(countsOf(run.output)).toEqual({ created: INSTANCES });
  expect(invocations.reconcileRound).toBe(1);
});

it('a round that keeps failing is reported with what earlier rounds did, to the ops topic', async () => {
  local = await startLocalAutotap(account(), config);
  let rounds = 0;
  const real = (await import('../../functions/reconcile-round.ts')).handler as (
    e: unknown,
    c: unknown,
  ) => Promise<unknown>;
  const reconcileRound = async (event: unknown, context: unknown) => {
    rounds += 1;
    if (rounds > 1) throw Object.assign(new Error('Rate exceeded'), { name: 'Throttled' });
    return real(event, context);
  };
  const run = await local.run(
    'reconcile',
    {},
    { timeoutsMs: { reconcileRound: ROUND_RESERVE_MS }, handlers: { reconcileRound }, retryPauseMs: 0 },
  );
  expect(run.status).toBe('SUCCEEDED');
  expect(countsOf(run.output)).toEqual({
    created: ROUND_BATCH,
    'failed-slices': 1,
    remaining: INSTANCES - ROUND_BATCH,
  });
  // The first round, then the second with its 10 retries.
  expect(rounds).toBe(1 + 11);
  const message = local.emulator
    .published()
    .map((p) => p.message)
    .join('\n');
  expect(message).toContain('round(s) failed after their retries');
  expect(message).toContain(`${INSTANCES - ROUND_BATCH} planned change(s) were left`);
});
