import { parseBenchArgs, runBenchmark } from '../../local/bench/command.ts';
import { cleanupMinimum, reconcileMinimum, type FleetScaleResult } from '../../local/bench/fleet-scale.ts';
import { generateFleet } from '../../local/bench/fleet.ts';
import { excludedShareFor, renderReconcileMemory } from '../../local/bench/reconcile-memory.ts';
import { RECONCILE_ROUND_MEMORY_MB, RECONCILE_SLICE_MEMORY_MB } from '../../deploy/stage-config.ts';
import { renderFleetScale } from '../../local/bench/render.ts';

/** A quick fleet-scale run end to end: the figures agree with the fleet and with each other. */

let fleet: FleetScaleResult;
beforeAll(async () => {
  const run = await runBenchmark(parseBenchArgs(['--quick', '--only', 'fleet', '--skip-bundles']));
  if (!run.fleet) throw new Error('the fleet half did not run');
  fleet = run.fleet;
}, 240_000);

it('runs only the fleet half with --only fleet, and none of it with --skip-fleet', () => {
  expect(parseBenchArgs(['--only', 'fleet']).runMirroring).toBe(false);
  expect(parseBenchArgs(['--only', 'fleet']).detections).toBeNull();
  expect(parseBenchArgs(['--skip-fleet']).fleet).toBeNull();
  expect(parseBenchArgs(['--only', 'mirroring']).fleet).toBeNull();
});

it('repairs exactly the drift the fleet was built with, within the quotas', () => {
  const { account, reconcile, cleanup } = fleet;
  expect(account.instances).toBe(1000);
  expect(reconcile.succeeded).toBe(1);
  expect(reconcile.counts).toMatchObject({ created: account.creates, deleted: account.deletes, modified: account.modifies, skipped: account.skips });
  expect(reconcile.largestPayloadBytes).toBeLessThan(reconcile.payloadLimitBytes);
  expect(reconcile.historyEvents).toBeLessThan(reconcile.historyLimit);
  expect(cleanup.executions).toBe(250);
  expect(cleanup.succeeded).toBe(250);
  // Every session that outlived its instance after the reconcile, and no other, is deleted.
  expect(cleanup.counts).toEqual({ deleted: cleanup.ec2.minimum.DeleteTrafficMirrorSession });
  expect(cleanup.largestPayloadBytes).toBeLessThan(cleanup.payloadLimitBytes);
});

it('counts EC2 calls against the minimum the fleet allows', () => {
  const built = generateFleet(fleet.params.fleet);
  expect(fleet.reconcile.ec2.minimum).toEqual(reconcileMinimum(built));
  expect(fleet.cleanup.ec2.minimum).toEqual(cleanupMinimum(built, built.instanceIds.slice(0, 250)));
  for (const w of [fleet.reconcile, fleet.cleanup]) {
    expect(w.ec2.total).toBe(Object.values(w.ec2.byAction).reduce((a, b) => a + b, 0));
    expect(w.ec2.total).toBeGreaterThanOrEqual(w.ec2.minimumTotal);
    expect(w.time.modelSeconds).toBeCloseTo(w.time.realSeconds * fleet.params.scale, 6);
  }
  expect(renderFleetScale(fleet)).toContain('reconcile');
});

it("measures the reconciler's memory per fleet size: the dry-run round plans exactly the fleet's drift and changes nothing", () => {
  const memory = fleet.memory;
  if (!memory) throw new Error('no reconcile memory run');
  expect(memory.round.samples.map((s) => s.instances)).toEqual([1000, 2000]);
  for (const s of memory.round.samples) {
    const built = generateFleet({ instances: s.instances, excludedShare: excludedShareFor(s.instances) });
    expect(s.enis).toBe(built.expected.enis);
    // Dry run: every repair the fleet needs is planned ("would-"), none made.
    expect(s.counts).toEqual({
      'would-create': built.expected.creates,
      'would-delete': built.expected.deletes,
      'would-modify': built.expected.modifies,
    });
    expect(s.peakRss).toBeGreaterThanOrEqual(s.loadedRss);
    expect(s.cpuMs).toBeGreaterThan(0);
  }
  // The detach cleanup's slice sees every managed session and deletes (dry) only those of the excluded instances.
  for (const s of memory.slice.samples) expect(Object.keys(s.counts)).toEqual(['would-delete']);
  // Memory and time as the stack declares them: the packaged template's figures (serverless.yml resolved).
  expect(memory.round).toMatchObject({ memoryMb: RECONCILE_ROUND_MEMORY_MB, timeoutSeconds: 300 });
  expect(memory.slice).toMatchObject({ memoryMb: RECONCILE_SLICE_MEMORY_MB, timeoutSeconds: 300 });
  expect(renderReconcileMemory(memory)).toContain('reconcile-round, at 50,000');
});
