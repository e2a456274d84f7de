import { jest } from '@jest/globals';
import { captureEmbeddedMetrics, metricTotals } from '../../local/cloudwatch/embedded-metrics.ts';
import { publishMetrics } from '../../src/lambda/metrics.ts';
import { runScenario } from '../scenarios/run.ts';

/**
 * autotap's metrics as its Lambdas write them (Powertools Metrics, EMF on standard output) and as the
 * local CloudWatch keeps them, for the demo scenario run through the real state machines.
 */

test("the demo's metrics add up to what its executions did, each kept by its reason and in total", async () => {
  const report = await runScenario('demo.yml');
  const results = report.executions
    .filter((e) => e.stateMachine === 'mirror-instances' && e.status === 'SUCCEEDED')
    .flatMap((e) => (e.output as { results: { outcome: string; reason?: string }[] }).results);
  const count = (outcome: string, reason?: string) =>
    results.filter((r) => r.outcome === outcome && (reason === undefined || r.reason === reason)).length;
  const totals = Object.fromEntries(report.metrics.map((m) => [m.metric, m]));
  expect(count('created')).toBeGreaterThan(0);
  expect(totals['EnisMirrored']?.sum).toBe(count('created'));
  expect(totals['EnisMirrored{Trigger=instance-running}']?.sum).toBe(count('created'));
  expect(totals['EnisAlreadyMirrored']?.sum).toBe(count('already-mirrored'));
  expect(totals['EnisSkipped']?.sum).toBe(count('skipped'));
  for (const reason of ['unsupported', 'excluded-by-tag'])
    expect(totals[`EnisSkipped{Reason=${reason}}`]?.sum).toBe(count('skipped', reason));
  // One latency per mirrored ENI, measured from the event's time (set when the simulation delivered it).
  const latency = totals['LaunchToMirroredSeconds']!;
  expect(latency.samples).toBe(count('created'));
  expect(latency.sum / latency.samples).toBeGreaterThanOrEqual(0);
  expect(latency.sum / latency.samples).toBeLessThan(60);
  expect(report.metrics.map((m) => m.metric).filter((m) => m.startsWith('EnisFailed'))).toEqual([]);
});

test("the reconcile scenario's metrics: the drift each run found and repaired, and coverage as each run began", async () => {
  const report = await runScenario('reconcile.yml');
  const runs = report.executions.filter((e) => e.stateMachine === 'reconcile');
  expect(runs.map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
  const [dry, real] = runs.map((r) => (r.output as { counts: Record<string, number> }).counts);
  const totals = Object.fromEntries(report.metrics.map((m) => [m.metric, m]));
  const repaired = (real!.created ?? 0) + (real!.deleted ?? 0) + (real!.modified ?? 0);
  expect(repaired).toBeGreaterThan(0);
  // The dry run found as much as the run that repaired it, and repaired nothing.
  expect(totals['DriftFound{Workflow=reconcile}']).toEqual({
    metric: 'DriftFound{Workflow=reconcile}',
    sum: (dry!.planned ?? 0) + repaired + (real!.failed ?? 0),
    samples: 2,
  });
  expect(totals['DriftRepaired{Action=create,Workflow=reconcile}']?.sum).toBe(real!.created ?? 0);
  expect(totals['DriftRepaired{Action=delete,Workflow=reconcile}']?.sum).toBe(real!.deleted ?? 0);
  // Both runs began on the same unrepaired account: the same coverage, below 100%.
  const coverage = report.metrics.find((m) => m.metric === 'CoveragePercent')!;
  expect(coverage.samples).toBe(2);
  expect(coverage.sum / 2).toBeLessThan(100);
  expect(totals['EnisUnmirrored']!.sum / 2).toBe(real!.created ?? 0);
});

test('the capture keeps EMF documents as CloudWatch does, once per dimension set, and lets other output through', () => {
  const written: string[] = [];
  const spy = jest
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk: string | Uint8Array) => written.push(String(chunk)) > 0);
  const capture = captureEmbeddedMetrics();
  try {
    process.env.AUTOTAP_STAGE = 'dev';
    publishMetrics([
      { name: 'EnisSkipped', values: [2], dimensions: { Reason: 'unsupported' } },
      { name: 'EnisSkipped', values: [1], dimensions: { Reason: 'target-full' } },
      { name: 'LaunchToMirroredSeconds', values: [3, 5], dimensions: { Trigger: 'instance-running' } },
      { name: 'CoveragePercent', values: [] },
    ]);
    process.stdout.write('an ordinary log line\n');
  } finally {
    capture.stop();
    spy.mockRestore();
  }
  expect(written).toEqual(['an ordinary log line\n']);
  expect(capture.metrics).toContainEqual({
    namespace: 'autotap',
    name: 'EnisSkipped',
    unit: 'Count',
    dimensions: { service: 'autotap', stage: 'dev', Reason: 'unsupported' },
    values: [2],
  });
  expect(metricTotals(capture.metrics)).toEqual([
    { metric: 'EnisSkipped', sum: 3, samples: 2 },
    { metric: 'EnisSkipped{Reason=target-full}', sum: 1, samples: 1 },
    { metric: 'EnisSkipped{Reason=unsupported}', sum: 2, samples: 1 },
    { metric: 'LaunchToMirroredSeconds', sum: 8, samples: 2 },
    { metric: 'LaunchToMirroredSeconds{Trigger=instance-running}', sum: 8, samples: 2 },
  ]);
});
