import { mirroringOf } from '../../src/config/created.ts';
import { parseConfig } from '../../src/config/load.ts';
import type { EmulatorSeed } from '../../local/emulator/index.ts';
import { generateFleet, inFlight, terminationEvent } from '../../local/bench/fleet.ts';
import * as ec2 from '../../src/aws/ec2.ts';
import { planAccount } from '../../src/mirroring/plan-account.ts';
import { ROUND_BATCH } from '../../src/mirroring/reconcile-round.ts';
import { startLocalAutotap, type LocalAutotap } from '../../local/environment.ts';
import { HISTORY_EVENT_LIMIT, STATES_PAYLOAD_LIMIT_BYTES } from '../../local/stepfunctions/runner.ts';

/**
 * The workflows at fleet scale through the real definitions and handlers on the emulator, whose
 * runner fails any state over 256 KiB and any history over 25,000 events.
 */

let local: LocalAutotap;
afterEach(async () => {
  await local?.close();
});

const countsOf = (output: unknown) => (output as { counts: Record<string, number> }).counts;
const KIB = 1024;

describe('backfill', () => {
  const INSTANCES = 3000;
  const config = parseConfig({
    mirroring: {
      filterId: 'tmf-0f1',
      targets: [{ id: 'tmt-0a1' }, { id: 'tmt-0a2' }],
      scope: { excludeTags: { 'autotap:mirror': 'false' } },
    },
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
        networkInterfaces: [
          { id: `eni-${(0x10000 + i).toString(16)}` },
          ...(i % 3 === 0 ? [{ id: `eni-${(0x90000 + i).toString(16)}`, deviceIndex: 1 }] : []),
        ],
      })),
    };
  }

  test(`reconcile backfills ${INSTANCES} instances with a describe per page, then finds nothing to do`, async () => {
    local = await startLocalAutotap(fleet(), config);
    const enis = fleet().instances!.flatMap((i) =>
      i.tags?.['autotap:mirror'] === 'false' ? [] : (i.networkInterfaces ?? []),
    );

    const first = await local.run('reconcile', {});
    expect(first.status).toBe('SUCCEEDED');
    const counts = countsOf(first.output);
    expect(counts.created).toBe(enis.length);
    expect(counts.skipped).toBe(
      fleet().instances!.length / 50 + fleet().instances!.filter((_, i) => i % 50 === 0 && i % 3 === 0).length,
    );
    const managed = local.emulator.sessions().filter((s) => s.tags['autotap:managed'] === 'true');
    expect(new Set(managed.map((s) => s.networkInterfaceId)).size).toBe(enis.length);
    expect(managed).toHaveLength(enis.length);

    const calls = local.emulator.calls();
    // The account is described page by page (1,000 a page), not per slice nor per ENI.
    const pages = Math.ceil(INSTANCES / 1000);
    expect(calls.DescribeInstances).toBe(pages);
    // Sessions: one page of the account, and at most one describe per batch of planned actions
    // (creates and skips alike) confirming the batch's creates.
    expect(calls.DescribeTrafficMirrorSessions).toBeLessThanOrEqual(
      1 + Math.ceil(((counts.created ?? 0) + (counts.skipped ?? 0)) / ROUND_BATCH),
    );
    expect(calls.CreateTrafficMirrorSession).toBe(enis.length);
    expect(first.historyEvents).toBeLessThan(100);

    local.emulator.resetCalls();
    const second = await local.run('reconcile', {});
    expect(countsOf(second.output)).toEqual({ skipped: counts.skipped });
    expect(local.emulator.calls().CreateTrafficMirrorSession ?? 0).toBe(0);
  }, 120_000);
});

describe('20,000 running instances', () => {
  const fleet = generateFleet({ instances: 20_000 });

  test('autotap plan predicts the drift, then the scheduled reconcile repairs it in one execution, its state a few KiB', async () => {
    local = await startLocalAutotap(fleet.seed, fleet.config);
    const { expected } = fleet;
    const planned = await planAccount(mirroringOf(fleet.config), ec2);
    const plannedCount = (action: string) => planned.filter((a) => a.action === action).length;
    expect({
      create: plannedCount('create'),
      delete: plannedCount('delete'),
      modify: plannedCount('modify'),
      skip: plannedCount('skip'),
    }).toEqual({
      create: expected.creates,
      delete: expected.deletes,
      modify: expected.modifies,
      skip: expected.skips,
    });
    expect(local.emulator.calls().CreateTrafficMirrorSession ?? 0).toBe(0);
    const scheduled = { 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} };
    const run = await local.run('reconcile', scheduled);
    expect(run.error).toBeNull();
    expect(countsOf(run.output)).toEqual({
      created: expected.creates,
      deleted: expected.deletes,
      modified: expected.modifies,
      skipped: expected.skips,
    });
    expect(run.largestPayloadBytes).toBeLessThan(64 * KIB);
    expect(run.historyEvents).toBeLessThan(HISTORY_EVENT_LIMIT / 100);
    const managed = local.emulator.sessions().filter((s) => s.tags['autotap:managed'] === 'true');
    expect(new Set(managed.map((s) => s.networkInterfaceId)).size).toBe(managed.length);
    expect(managed.every((s) => s.trafficMirrorFilterId === 'tmf-0f1')).toBe(true);
    // The next run has nothing left but the excluded ENIs to report.
    const again = await local.run('reconcile', scheduled);
    expect(countsOf(again.output)).toEqual({ skipped: expected.skips + expected.deletes - fleet.params.detachedEnis });
  }, 180_000);

  test('5,000 terminations start 5,000 small cleanup executions that delete every lingering session', async () => {
    local = await startLocalAutotap(fleet.seed, fleet.config);
    const terminated = fleet.instanceIds.slice(0, 5000);
    for (const id of terminated) local.emulator.terminateInstance(id);
    const runs = await inFlight(terminated, 25, (id) => local.run('cleanup-sessions', terminationEvent(id)));
    expect(runs.filter((r) => r.status !== 'SUCCEEDED').map((r) => r.error)).toEqual([]);
    const deleted = runs.reduce((n, r) => n + (countsOf(r.output).deleted ?? 0), 0);
    const lingering = terminated.reduce((n, id) => n + (fleet.sessionsKeptOnTermination.seeded.get(id) ?? 0), 0);
    expect(lingering).toBeGreaterThan(100);
    expect(deleted).toBe(lingering);
    expect(Math.max(...runs.map((r) => r.largestPayloadBytes))).toBeLessThan(STATES_PAYLOAD_LIMIT_BYTES / 16);
    expect(Math.max(...runs.map((r) => r.historyEvents))).toBeLessThan(100);
    const gone = new Set(terminated);
    expect(local.emulator.sessions().filter((s) => gone.has(s.tags['autotap:instance-id'] ?? ''))).toEqual([]);
  }, 420_000);
});
