import { offInstanceInterfaces, resolveInterfaces, type ResolvePorts } from '../../src/mirroring/resolve.ts';
import { renderOpsReport } from '../../src/mirroring/ops-report.ts';
import { loadBalancerInterface, mirroringWith } from './fixtures.ts';

type Standing = { networkInterfaceId: string; attachedInstanceId?: string; interfaceType?: string };

/** An account where the requested instance is already gone (spot, autoscaling, a late re-run). */
function goneInstance(standings: Standing[] = []): ResolvePorts & { targetDescribes: number } {
  const ports = {
    targetDescribes: 0,
    async describeInstances() {
      return [];
    },
    async describeInterfaceStandings() {
      return standings;
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

  it("skips an ENI off any instance at once when it is not of type interface (a trunked task's branch ENI)", async () => {
    const ports = goneInstance([
      { networkInterfaceId: 'eni-0b1', interfaceType: 'branch' },
      { networkInterfaceId: 'eni-0d2', interfaceType: 'interface' },
    ]);
    const request = {
      instanceIds: [],
      networkInterfaceIds: ['eni-0b1'],
      dryRun: false,
      trigger: 'task-running' as const,
    };
    // Not retried: a branch ENI never becomes a source, however long one waits.
    const plan = await resolveInterfaces(request, mirroringWith(), ports, false);
    expect(plan.results).toEqual([
      { instanceId: '', networkInterfaceId: 'eni-0b1', outcome: 'skipped', reason: 'interface-type' },
    ]);
    // A detached ENI of type interface may be attached a moment later: waited for, as before.
    await expect(
      resolveInterfaces({ ...request, networkInterfaceIds: ['eni-0d2'] }, mirroringWith(), ports, false),
    ).rejects.toMatchObject({ name: 'NotYetVisible' });
  });

  describe('ENIs asked for that are on no instance', () => {
    const alb = loadBalancerInterface();
    const standings = [
      { networkInterfaceId: 'eni-0e1', interfaceType: 'interface', serviceSource: alb },
      { networkInterfaceId: 'eni-0b1', interfaceType: 'branch' },
      { networkInterfaceId: 'eni-0d2', interfaceType: 'interface' },
      { networkInterfaceId: 'eni-0a1', attachedInstanceId: 'i-0a1', interfaceType: 'interface' },
    ];

    it("a load balancer's is its own source with the kind on; a branch ENI is skipped; others wait", () => {
      const on = mirroringWith({ sources: { loadBalancers: { enabled: true } } });
      expect(offInstanceInterfaces(standings, on)).toEqual({
        serviceSources: [alb],
        skippedInterfaces: [{ networkInterfaceId: 'eni-0b1', reason: 'interface-type' }],
      });
    });

    it("with the kind off, a load balancer's is out of scope, decided at once", () => {
      expect(offInstanceInterfaces(standings, mirroringWith())).toEqual({
        serviceSources: [],
        skippedInterfaces: [
          { networkInterfaceId: 'eni-0e1', reason: 'out-of-scope' },
          { networkInterfaceId: 'eni-0b1', reason: 'interface-type' },
        ],
      });
    });
  });
});
