import { describe, expect, test } from '@jest/globals';
import { parseConfig } from '../../src/config/load.ts';
import { mostlyUnsupportedWarning, scopeCoverage } from '../../src/mirroring/coverage.ts';
import type { Instance } from '../../src/mirroring/types.ts';
import { instance, loadBalancerInterface } from './fixtures.ts';
import { renderCoverage } from '../../cli/plan.ts';

const scope = (extra: Record<string, unknown> = {}) =>
  parseConfig({ mirroring: { filterId: 'tmf-0a1', targets: [{ id: 'tmt-0a1' }], scope: extra } }, 'test').mirroring
    .scope;

let n = 0;
function host(instanceType: string, overrides: Partial<Instance> = {}, enis = 1): Instance {
  n += 1;
  return instance({
    instanceId: `i-${n.toString(16).padStart(8, '0')}`,
    instanceType,
    networkInterfaces: Array.from({ length: enis }, (_, d) => ({
      networkInterfaceId: `eni-${n.toString(16).padStart(6, '0')}${d}`,
      interfaceType: 'interface',
      deviceIndex: d,
    })),
    ...overrides,
  });
}

describe('scopeCoverage', () => {
  test('counts running instances and ENIs per reason the scope skips them, and the eligible rest', () => {
    const fleet = [
      host('m5.large', {}, 2),
      host('m6i.large', {}, 2),
      host('c7g.xlarge'),
      host('m5.large', { tags: { 'autotap:mirror': 'false' } }),
      host('m5.large', { vpcId: 'vpc-other' }),
      host('m5.large', { state: 'stopped' }),
      instance({
        instanceId: 'i-0000efa',
        networkInterfaces: [
          { networkInterfaceId: 'eni-0000efa0', interfaceType: 'interface', deviceIndex: 0 },
          { networkInterfaceId: 'eni-0000efa1', interfaceType: 'efa', deviceIndex: 1 },
        ],
      }),
    ];
    const coverage = scopeCoverage(fleet, scope({ vpcIds: ['vpc-0a1'], excludeTags: { 'autotap:mirror': 'false' } }));
    expect(coverage.running).toEqual({ instances: 6, enis: 9 });
    // Out of scope and excluded are not the in-scope fleet; type and interface skips are.
    expect(coverage.inScope).toEqual({ instances: 4, enis: 7 });
    expect(coverage.eligible).toEqual({ instances: 2, enis: 3 });
    expect(coverage.skipped).toEqual([
      { reason: 'unsupported', instances: 2, enis: 3 },
      { reason: 'excluded-by-tag', instances: 1, enis: 1 },
      { reason: 'interface-type', instances: 1, enis: 1 },
      { reason: 'out-of-scope', instances: 1, enis: 1 },
    ]);
    expect(coverage.unsupportedFamilies).toEqual([
      { family: 'c7g', instances: 1 },
      { family: 'm6i', instances: 1 },
    ]);
    expect(coverage.unsupportedTypes).toEqual(['c7g.xlarge', 'm6i.large']);
    expect(coverage.unsupportedShare).toBeCloseTo(3 / 7);
    expect(mostlyUnsupportedWarning(coverage)).toBeUndefined();
  });

  test("a load balancer's ENIs count as ENIs, in scope and eligible, and as no instance", () => {
    const alb = loadBalancerInterface();
    const typed = loadBalancerInterface({
      networkInterfaceId: 'eni-0e2',
      interfaceType: 'load_balancer',
      description: 'ELB legacy',
    });
    const coverage = scopeCoverage([host('m5.large'), alb, typed], scope());
    expect(coverage.running).toEqual({ instances: 1, enis: 3 });
    expect(coverage.loadBalancerEnis).toBe(2);
    expect(coverage.inScope).toEqual({ instances: 1, enis: 3 });
    expect(coverage.eligible).toEqual({ instances: 1, enis: 2 });
    expect(coverage.skipped).toEqual([{ reason: 'interface-type', instances: 0, enis: 1 }]);
    expect(renderCoverage(coverage)).toContain('Running: 1 instances, 3 ENIs (2 of load balancers); in scope: 3 ENIs');
  });

  test('a fleet mostly of unsupported families gets the warning, with the families; half is not most', () => {
    const mostly = scopeCoverage([host('m6i.large'), host('m6i.xlarge'), host('c6i.large'), host('m5.large')], scope());
    expect(mostlyUnsupportedWarning(mostly)).toBe(
      'most of the in-scope fleet is of instance types Traffic Mirroring does not support: 3 of 4 in-scope ENIs (75%, 3 instances: m6i 2, c6i 1) are skipped, so autotap mirrors little of it',
    );
    const half = scopeCoverage([host('m6i.large'), host('m5.large')], scope());
    expect(half.unsupportedShare).toBe(0.5);
    expect(mostlyUnsupportedWarning(half)).toBeUndefined();
  });

  test('unsupported instances excluded by the owner are not the in-scope fleet', () => {
    const coverage = scopeCoverage(
      [host('m6i.large', { tags: { 'autotap:mirror': 'false' } }), host('m5.large')],
      scope({ excludeTags: { 'autotap:mirror': 'false' } }),
    );
    expect(coverage.unsupportedShare).toBe(0);
    expect(coverage.skipped).toEqual([{ reason: 'excluded-by-tag', instances: 1, enis: 1 }]);
  });

  test('no running instance: nothing to count, no warning', () => {
    const coverage = scopeCoverage([], scope());
    expect(coverage).toMatchObject({ running: { instances: 0, enis: 0 }, unsupportedShare: 0, skipped: [] });
    expect(mostlyUnsupportedWarning(coverage)).toBeUndefined();
  });
});
