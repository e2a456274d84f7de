import { describe, expect, test } from '@jest/globals';
import { autotapSessions, results, runScenario as run } from './run.ts';

/** scenarios/throttling.yml: slow because the SDK's retries of throttled calls wait in real time. */

describe('scenarios/', () => {
  test('throttling.yml: every ENI of the burst ends with exactly one autotap session, despite throttling', async () => {
    const report = await run('throttling.yml');
    expect(report.executions.map((e) => e.status)).toEqual(Array(12).fill('SUCCEEDED'));
    expect(results(report).map((r) => r.outcome)).toEqual(Array(12).fill('created'));
    const enis = autotapSessions(report).map((s) => s.networkInterfaceId);
    expect(new Set(enis).size).toBe(12);
    expect(enis).toHaveLength(12);
    // The buckets ran dry: more creates were attempted than sessions exist.
    expect(report.calls.CreateTrafficMirrorSession).toBeGreaterThan(12);
    // The throttles the SDK's retries overcame are not lost: every Lambda counts them, by service.
    const throttled = report.metrics.find((m) => m.metric === 'AwsThrottled{Service=ec2}');
    expect(throttled?.sum).toBeGreaterThan(0);
    expect(report.metrics.find((m) => m.metric === 'AwsThrottled')?.sum).toBe(throttled?.sum);
  });
});
