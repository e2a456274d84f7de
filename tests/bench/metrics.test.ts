import {
  atLeast,
  atMost,
  costPerThousandInstances,
  describesNeeded,
  duplicateSessions,
  median,
  minimumCalls,
  mirroredEnis,
  ratio,
  throttleBoundSeconds,
} from '../../local/bench/metrics.ts';
import { packageOf } from '../../local/bench/bundles.ts';

describe('benchmark metrics', () => {
  it('throttle bound: calls beyond the bucket at the refill rate', () => {
    expect(throttleBoundSeconds(1389, { capacity: 50, refillPerSecond: 5 })).toBeCloseTo(267.8, 6);
    expect(throttleBoundSeconds(4120, { capacity: 100, refillPerSecond: 20 })).toBe(201);
    expect(throttleBoundSeconds(50, { capacity: 50, refillPerSecond: 5 })).toBe(0);
    expect(throttleBoundSeconds(51, { capacity: 50, refillPerSecond: 0 })).toBe(Number.POSITIVE_INFINITY);
  });

  it('minimum calls: two describes per execution, the targets once, one create per ENI to attempt and one describe confirming it', () => {
    const minimum = minimumCalls(1030, 1389);
    expect(minimum.byAction).toEqual({
      DescribeInstances: 1030,
      DescribeTrafficMirrorSessions: 1030 + 1389,
      DescribeTrafficMirrorTargets: 1,
      CreateTrafficMirrorSession: 1389,
    });
    expect(minimum.total).toBe(2 * 1030 + 1 + 2 * 1389);
    expect(describesNeeded(1030)).toBe(2061);
    expect(describesNeeded(1030, 1389)).toBe(2061 + 1389);
  });

  it('duplicates: extra autotap sessions per ENI; foreign sessions do not count', () => {
    const sessions = [
      { networkInterfaceId: 'eni-1', managed: true },
      { networkInterfaceId: 'eni-1', managed: true },
      { networkInterfaceId: 'eni-1', managed: true },
      { networkInterfaceId: 'eni-2', managed: true },
      { networkInterfaceId: 'eni-2', managed: false },
      { networkInterfaceId: 'eni-3', managed: false },
    ];
    expect(duplicateSessions(sessions)).toBe(2);
    expect(mirroredEnis(['eni-1', 'eni-2', 'eni-3', 'eni-4'], sessions)).toBe(2);
  });

  it('median, ratio and cost', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
    expect(ratio(6, 4)).toBe(1.5);
    expect(ratio(0, 0)).toBe(1);
    expect(ratio(3, 0)).toBe(Number.POSITIVE_INFINITY);
    // 5 transitions at $0.025 per 1,000: $0.125 per 1,000 instances.
    expect(costPerThousandInstances(5)).toBeCloseTo(0.125, 10);
  });

  it('targets say by how much they are missed', () => {
    const fmt = (n: number) => n.toFixed(2);
    expect(atMost('calls', 1.1, 1.2, fmt)).toMatchObject({ pass: true, miss: '' });
    expect(atMost('calls', 1.5, 1.2, fmt)).toMatchObject({ pass: false, miss: 'over by 0.30 (+25%)' });
    expect(atMost('duplicates', 2, 0, String)).toMatchObject({ pass: false, miss: 'over by 2 (limit 0)' });
    expect(atLeast('mirrored', 0.9, 1, fmt)).toMatchObject({ pass: false, miss: 'short by 0.10' });
  });

  it('bundle inputs are grouped by package', () => {
    expect(packageOf('node_modules/@aws-sdk/client-ec2/dist-es/schemas/schemas_0.js')).toBe('@aws-sdk/client-ec2');
    expect(packageOf('node_modules/zod/v4/core/schemas.js')).toBe('zod');
    expect(packageOf('src/mirroring/plan.ts')).toBe('project');
  });
});
