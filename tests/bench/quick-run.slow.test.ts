import { parseBenchArgs, runBenchmark, type BenchResults } from '../../local/bench/command.ts';
import { LATENCY_MODEL } from '../../local/bench/latency-model.ts';
import type { MirroringResult } from '../../local/bench/mirroring.ts';
import type { PeersResult } from '../../local/bench/peers.ts';

/**
 * A quick run end to end, with the alternatives that finish in seconds: what the run did to the
 * emulated account (read back from the emulator, not from the benchmark's own counters), and
 * latency figures that must respect the model they are built from.
 */

let results: BenchResults & { mirroring: MirroringResult; peers: PeersResult };
beforeAll(async () => {
  const options = parseBenchArgs(['--quick', '--skip-bundles', '--skip-detections', '--skip-fleet', '--peers', 'check-point,vectra', '--scan-period', '60']);
  const run = await runBenchmark(options);
  if (!run.mirroring || !run.peers) throw new Error('the mirroring half or the alternatives did not run');
  results = { ...run, mirroring: run.mirroring, peers: run.peers };
}, 180_000);

describe('a quick benchmark run', () => {
  it('mirrors every eligible ENI once, in its own zone, and nothing else', () => {
    const { coverage, scenario, executions } = results.mirroring;
    expect(scenario.instances).toBe(20);
    expect(coverage.eligibleEnis).toBeGreaterThan(20);
    expect(coverage.mirroredEnis).toBe(coverage.eligibleEnis);
    expect(coverage.duplicateSessions).toBe(0);
    expect(coverage.unwantedSessions).toBe(0);
    expect(coverage.wrongZoneSessions).toBe(0);
    expect(executions.failed).toBe(0);
    // Every eligible ENI has a time at which its session appeared, within the run.
    expect(results.mirroring.sessionTimes.seconds.every((s) => s !== null && s >= 0 && s <= results.mirroring.time.modelSeconds)).toBe(true);
  });

  it('its call counts agree with the HTTP requests the SDK clients sent, counted apart', () => {
    const { ec2 } = results.mirroring;
    // Every answered request is one the emulator logged; the rest failed on the wire (a keep-alive
    // socket closed under a loaded machine) and were sent again by the SDK.
    expect(ec2.http.responses).toBe(ec2.emulatorTotal);
    expect(ec2.http.requests).toBe(ec2.http.responses + ec2.http.failedUnanswered);
    expect(ec2.http.sdkRetries).toBeGreaterThanOrEqual(ec2.http.failedUnanswered);
    expect(ec2.total).toBeGreaterThanOrEqual(ec2.minimum.total);
    // One successful create per mirrored ENI, give or take a duplicate event replaying its original's token.
    const created = ec2.byAction.CreateTrafficMirrorSession?.succeeded ?? 0;
    expect(created).toBeGreaterThanOrEqual(results.mirroring.coverage.mirroredEnis);
    expect(created).toBeLessThanOrEqual(results.mirroring.coverage.mirroredEnis + results.mirroring.scenario.duplicateEvents);
  });

  it('launch-to-mirrored percentiles are ordered and bounded by the model', () => {
    const latency = results.latency;
    if (!latency) throw new Error('no latency figures');
    const autotap = latency.rows.find((r) => r.name === 'autotap');
    if (!autotap) throw new Error('no autotap row');
    for (const row of latency.rows) {
      for (const l of [row.quiet, row.burst]) {
        expect(l.p50).toBeLessThanOrEqual(l.p95);
        expect(l.p95).toBeLessThanOrEqual(l.p99);
        expect(l.p99).toBeLessThanOrEqual(l.max);
      }
    }
    // Nothing is mirrored before EventBridge delivered the event and a cold container started.
    expect(autotap.quiet.p50).toBeGreaterThanOrEqual(latency.platformSeconds.cold);
    expect(autotap.burst.p50).toBeGreaterThanOrEqual(latency.platformSeconds.warm);
    expect(latency.platformSeconds.warm).toBeGreaterThan(LATENCY_MODEL.eventBridgeDeliverySeconds);
    // And nothing later than the run's end plus the largest platform latency.
    expect(autotap.burst.max).toBeLessThanOrEqual(results.mirroring.time.modelSeconds + latency.platformSeconds.cold);
    // A quiet account is served faster than the burst's slowest ENI.
    expect(autotap.quiet.max).toBeLessThan(autotap.burst.max);
  });

  it('sets autotap beside the alternatives: none mirrors more, the scan waits for its period', () => {
    const { mirroring, peers } = results;
    for (const peer of peers.strategies) {
      expect(peer.outcome.eligibleEnis).toBe(mirroring.coverage.eligibleEnis);
      expect(peer.outcome.mirroredEnis).toBeLessThanOrEqual(mirroring.coverage.mirroredEnis);
    }
    const vectra = peers.strategies.find((p) => p.name === 'vectra');
    expect(vectra?.latency.p50).toBeGreaterThanOrEqual(peers.params.scanPhaseSeconds);
    // Vectra sends every ENI to the one target of the VPC: the other zones' ENIs cross zones.
    expect(vectra?.outcome.wrongZoneSessions).toBeGreaterThan(0);
  });

  it('evaluates the targets, bundles left out', () => {
    expect(results.bundles).toBeNull();
    expect(results.targets.map((t) => t.name)).toContain('ENIs mirrored / eligible');
    expect(results.targets.find((t) => t.name === 'duplicate sessions')?.pass).toBe(true);
  });
});
