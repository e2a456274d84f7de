import { parseConfig } from '../../src/config/load.ts';
import type { EmulatorSeed } from '../../local/emulator/index.ts';
import { startLocalAutotap, type LocalAutotap } from '../../local/environment.ts';

/**
 * The reconciler at fleet scale: thousands of instances backfilled through the real definition,
 * within Step Functions' history limit and without a describe per ENI.
 */

const INSTANCES = 3000;
/** Step Functions keeps at most 25,000 events in one execution's history. */
const HISTORY_LIMIT = 25_000;

const config = parseConfig({
  mirroring: { filterId: 'tmf-0f1', targets: [{ id: 'tmt-0a1' }, { id: 'tmt-0a2' }], scope: { excludeTags: { 'autotap:mirror': 'false' } } },
});

function fleet(): EmulatorSeed {
  return {
    targets: [
      { id: 'tmt-0a1', type: 'network-load-balancer' },
      { id: 'tmt-0a2', type: 'gateway-load-balancer-endpoint' },
    ],
    filters: [{ id: 'tmf-0f1' }],
    instances: Array.from({ length: INSTANCES }, (_, i) => ({
      id: `i-${(0x10000 + i).toString(16)}`,
      availabilityZone: i % 2 ? 'us-east-1a' : 'us-east-1b',
      ...(i % 50 === 0 ? { tags: { 'autotap:mirror': 'false' } } : {}),
      networkInterfaces: [{ id: `eni-${(0x10000 + i).toString(16)}` }, ...(i % 3 === 0 ? [{ id: `eni-${(0x90000 + i).toString(16)}`, deviceIndex: 1 }] : [])],
    })),
  };
}

let local: LocalAutotap;
afterAll(async () => {
  await local?.close();
});

test(`reconcile backfills ${INSTANCES} instances in slices, then finds nothing to do`, async () => {
  local = await startLocalAutotap(fleet(), config);
  const enis = fleet().instances!.flatMap((i) => (i.tags?.['autotap:mirror'] === 'false' ? [] : i.networkInterfaces ?? []));

  const first = await local.run('reconcile', {});
  expect(first.status).toBe('SUCCEEDED');
  const counts = (first.output as { counts: Record<string, number> }).counts;
  expect(counts.created).toBe(enis.length);
  expect(counts.skipped).toBe(fleet().instances!.length / 50 + fleet().instances!.filter((_, i) => i % 50 === 0 && i % 3 === 0).length);
  const managed = local.emulator.sessions().filter((s) => s.tags['autotap:managed'] === 'true');
  expect(new Set(managed.map((s) => s.networkInterfaceId)).size).toBe(enis.length);
  expect(managed).toHaveLength(enis.length);

  const slices = Math.ceil(INSTANCES / 100);
  expect(first.historyEvents * 2).toBeLessThan(HISTORY_LIMIT);
  const calls = local.emulator.calls();
  // Per slice: one describe of its instances, of their sessions, of the targets, of the targets' load
  // and one confirming its creates.
  expect(calls.DescribeTrafficMirrorSessions ?? 0).toBeLessThanOrEqual(3 * slices + 2);
  expect(calls.DescribeInstances ?? 0).toBeLessThanOrEqual(slices + 4);
  expect(calls.CreateTrafficMirrorSession).toBe(enis.length);

  local.emulator.resetCalls();
  const second = await local.run('reconcile', {});
  expect((second.output as { counts: Record<string, number> }).counts).toEqual({ skipped: counts.skipped });
  expect(local.emulator.calls().CreateTrafficMirrorSession ?? 0).toBe(0);
}, 240_000);
