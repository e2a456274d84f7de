import { resolveInterfaces, type ResolvePorts } from '../../src/mirroring/resolve.ts';
import { renderOpsReport } from '../../src/mirroring/ops-report.ts';
import { mirroringWith } from './fixtures.ts';

/** An account where the requested instance is already gone (spot, autoscaling, a late re-run). */
function goneInstance(): ResolvePorts & { targetDescribes: number } {
  const ports = {
    targetDescribes: 0,
    async describeInstances() {
      return [];
    },
    async attachedInstances() {
      return new Map<string, string>();
    },
    async describeSessionsOfInterfaces() {
      return [];
    },
    async describeSessionsOfTargets() {
      return [];
    },
    async describeTargets() {
      ports.targetDescribes += 1;
      return [];
    },
  };
  return ports;
}

describe('resolveInterfaces', () => {
  it('with no ENI found, describes no target and claims none missing', async () => {
    const ports = goneInstance();
    const request = {
      instanceIds: ['i-0gone'],
      networkInterfaceIds: [],
      dryRun: false,
      trigger: 'instance-running' as const,
    };
    const plan = await resolveInterfaces(request, mirroringWith(), ports, true);
    expect(ports.targetDescribes).toBe(0);
    expect(plan.missingTargets).toEqual([]);
    expect(plan.results).toEqual([
      { instanceId: 'i-0gone', networkInterfaceId: '', outcome: 'skipped', reason: 'not-found' },
    ]);
    expect(renderOpsReport(plan.results, undefined, plan.missingTargets)).toBeNull();
  });
});
