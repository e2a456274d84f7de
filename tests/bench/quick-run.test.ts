import { parseBenchArgs, runBenchmark, type BenchResults } from '../../local/bench/command.ts';
import { describesNeeded, throttleBoundSeconds } from '../../local/bench/metrics.ts';
import type { MirroringResult } from '../../local/bench/mirroring.ts';

/** A quick run end to end: the figures must agree with each other and with the emulator's own log. */

let results: BenchResults & { mirroring: MirroringResult };
beforeAll(async () => {
  const options = parseBenchArgs(['--quick', '--skip-bundles', '--skip-detections', '--skip-fleet']);
  const run = await runBenchmark(options);
  if (!run.mirroring) throw new Error('the mirroring half did not run');
  results = { ...run, mirroring: run.mirroring };
}, 120_000);

describe('a quick benchmark run', () => {
  it('mirrors every eligible ENI once and nothing else', () => {
    const { coverage, scenario, executions } = results.mirroring;
    expect(scenario.instances).toBe(20);
    expect(coverage.mirroredEnis).toBe(coverage.eligibleEnis);
    expect(coverage.eligibleEnis).toBe(scenario.enis.eligible);
    expect(coverage.duplicateSessions).toBe(0);
    expect(coverage.unwantedSessions).toBe(0);
    expect(executions.total).toBe(scenario.events);
    expect(executions.succeeded + executions.failed).toBe(executions.total);
  });

  it('counts the calls the emulator logged, which are the HTTP requests the SDK sent', () => {
    const { ec2 } = results.mirroring;
    const summed = Object.values(ec2.byAction).reduce((n, a) => n + a.calls, 0);
    expect(ec2.total).toBe(summed);
    // The emulator logs every request it receives (SNS publishes to the ops topic included).
    expect(ec2.http.requests).toBe(ec2.emulatorTotal);
    expect(ec2.emulatorTotal).toBeGreaterThanOrEqual(ec2.total);
    for (const action of Object.values(ec2.byAction)) expect(action.succeeded + action.failed).toBe(action.calls);
    // A duplicate execution racing its original may get the original's session back (same client token).
    const created = ec2.byAction.CreateTrafficMirrorSession?.succeeded ?? 0;
    expect(created).toBeGreaterThanOrEqual(results.mirroring.coverage.mirroredEnis);
    expect(created).toBeLessThanOrEqual(results.mirroring.coverage.mirroredEnis + 2 * results.mirroring.scenario.duplicateEvents);
    expect(ec2.total).toBeGreaterThanOrEqual(ec2.minimum.total);
    expect(ec2.ratioToMinimum).toBeCloseTo(ec2.total / ec2.minimum.total, 10);
  });

  it('derives the bounds and transitions from the run', () => {
    const { time, params, transitions, scenario, executions } = results.mirroring;
    expect(time.createsNeeded).toBe(scenario.enis.eligible);
    expect(time.mutateBoundSeconds).toBe(throttleBoundSeconds(time.createsNeeded, params.mutate));
    expect(time.describeBoundSeconds).toBe(throttleBoundSeconds(describesNeeded(executions.total, time.createsNeeded), params.describe));
    expect(time.modelSeconds).toBeCloseTo(time.realSeconds * params.scale, 6);
    expect(transitions.happyPath.oneEniTransitions).toBeGreaterThanOrEqual(5);
    expect(transitions.happyPath.twoEniTransitions).toBe(transitions.happyPath.oneEniTransitions + 1);
    expect(transitions.total).toBeGreaterThanOrEqual(executions.total * 4);
  });

  it('evaluates every target, bundles left out', () => {
    expect(results.bundles).toBeNull();
    expect(results.targets.map((t) => t.name)).toEqual([
      'ENIs mirrored / eligible',
      'duplicate sessions',
      'failed executions',
      'EC2 calls / minimum',
      'wall time / throttle bound',
      'transitions, one-ENI happy path',
    ]);
    for (const t of results.targets) expect(t.miss === '').toBe(t.pass);
  });
});
