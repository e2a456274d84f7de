import { mirroringOf } from '../../src/config/created.ts';
import { parseConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import * as ec2 from '../../src/aws/ec2.ts';
import { planAccount } from '../../src/mirroring/plan-account.ts';
import { publicAction } from '../../src/mirroring/reconcile.ts';
import type { EmulatorSeed } from '../../local/emulator/index.ts';
import { startLocalAutotap, type LocalAutotap } from '../../local/environment.ts';
import type { EniResult } from '../../src/mirroring/types.ts';

/**
 * Keeping mirroring true over time, on the emulator with the real definitions: late ENIs, cleanup on
 * stop / terminate / detach, and the reconciler (backfill, scope changes, target changes).
 */

const baseMirroring = { filterId: 'tmf-0f1', targets: [{ id: 'tmt-0a1' }] };
const configWith = (mirroring: Record<string, unknown> = {}): Config =>
  parseConfig({ mirroring: { ...baseMirroring, ...mirroring } });

function account(extra: Partial<EmulatorSeed> = {}): EmulatorSeed {
  return {
    targets: [
      { id: 'tmt-0a1', type: 'network-load-balancer' },
      { id: 'tmt-0a2', type: 'network-load-balancer' },
      { id: 'tmt-0f9', type: 'network-load-balancer' },
    ],
    filters: [{ id: 'tmf-0f1' }, { id: 'tmf-0f2' }, { id: 'tmf-0f9' }],
    instances: [
      {
        id: 'i-0a1',
        availabilityZone: 'us-east-1a',
        vpcId: 'vpc-0a1',
        networkInterfaces: [{ id: 'eni-0a1' }, { id: 'eni-0a2', deviceIndex: 1, deleteOnTermination: false }],
      },
      { id: 'i-0b1', availabilityZone: 'us-east-1a', vpcId: 'vpc-0b1', networkInterfaces: [{ id: 'eni-0b1' }] },
    ],
    networkInterfaces: [{ id: 'eni-0c1', availabilityZone: 'us-east-1a' }],
    sessions: [
      { id: 'tms-0f9', networkInterfaceId: 'eni-0a2', targetId: 'tmt-0f9', filterId: 'tmf-0f9', sessionNumber: 1 },
    ],
    ...extra,
  };
}

const stateEvent = (instanceId: string, state: string) => ({
  version: '0',
  id: `e-${instanceId}-${state}`,
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '123456789012',
  time: '2026-11-11T21:29:54Z',
  region: 'us-east-1',
  resources: [],
  detail: { 'instance-id': instanceId, state },
});
const cloudTrail = (eventName: string, requestParameters: Record<string, unknown>) => ({
  version: '0',
  id: `ct-${eventName}`,
  'detail-type': 'AWS API Call via CloudTrail',
  source: 'aws.ec2',
  account: '123456789012',
  time: '2026-11-11T21:30:00Z',
  region: 'us-east-1',
  resources: [],
  detail: { eventSource: 'ec2.amazonaws.com', eventName, requestParameters },
});

let local: LocalAutotap;
afterEach(async () => {
  await local?.close();
});

const ours = () => local.emulator.sessions().filter((s) => s.tags['autotap:managed'] === 'true');
const foreignIntact = () =>
  expect(local.emulator.sessions().find((s) => s.trafficMirrorSessionId === 'tms-0f9')).toMatchObject({
    trafficMirrorTargetId: 'tmt-0f9',
    sessionNumber: 1,
  });

describe('late ENIs', () => {
  it('an ENI attached after launch is mirrored from the CloudTrail event', async () => {
    local = await startLocalAutotap(account(), configWith());
    await local.run('mirror-instances', stateEvent('i-0b1', 'running'));
    local.emulator.attachNetworkInterface('eni-0c1', 'i-0b1', 1);
    const execution = await local.run(
      'mirror-instances',
      cloudTrail('AttachNetworkInterface', { networkInterfaceId: 'eni-0c1', instanceId: 'i-0b1', deviceIndex: 1 }),
    );
    expect((execution.output as { results: EniResult[] }).results).toEqual([
      expect.objectContaining({ networkInterfaceId: 'eni-0c1', outcome: 'created' }),
    ]);
    expect(
      ours()
        .map((s) => s.networkInterfaceId)
        .sort(),
    ).toEqual(['eni-0b1', 'eni-0c1']);
  });
});

describe('cleanup-sessions', () => {
  it('stopped, policy keep: nothing deleted', async () => {
    local = await startLocalAutotap(account(), configWith({ onStop: 'keep' }));
    await local.run('mirror-instances', stateEvent('i-0a1', 'running'));
    local.emulator.stopInstance('i-0a1');
    const execution = await local.run('cleanup-sessions', stateEvent('i-0a1', 'stopped'));
    expect(execution.status).toBe('SUCCEEDED');
    expect(ours()).toHaveLength(2);
  });

  it("stopped, policy delete: our sessions deleted, the other tool's kept; start recreates them", async () => {
    local = await startLocalAutotap(account(), configWith({ onStop: 'delete' }));
    await local.run('mirror-instances', stateEvent('i-0a1', 'running'));
    const before = ours().map((s) => s.trafficMirrorSessionId);
    local.emulator.stopInstance('i-0a1');
    const execution = await local.run('cleanup-sessions', stateEvent('i-0a1', 'stopped'));
    expect((execution.output as { counts: Record<string, number> }).counts).toEqual({ deleted: 2 });
    expect(ours()).toEqual([]);
    foreignIntact();
    local.emulator.startInstance('i-0a1');
    await local.run('mirror-instances', stateEvent('i-0a1', 'running'));
    const after = ours().map((s) => s.trafficMirrorSessionId);
    expect(after).toHaveLength(2);
    expect(after.some((id) => before.includes(id))).toBe(false);
  });

  it("terminated with a surviving ENI: its lingering session is deleted, the other tool's is not", async () => {
    local = await startLocalAutotap(account(), configWith());
    await local.run('mirror-instances', stateEvent('i-0a1', 'running'));
    local.emulator.terminateInstance('i-0a1');
    expect(ours().map((s) => s.networkInterfaceId)).toEqual(['eni-0a2']);
    const execution = await local.run('cleanup-sessions', stateEvent('i-0a1', 'terminated'));
    expect((execution.output as { actions: { reason?: string }[] }).actions).toEqual([
      expect.objectContaining({
        action: 'delete',
        outcome: 'deleted',
        reason: 'interface-detached',
        networkInterfaceId: 'eni-0a2',
      }),
    ]);
    expect(ours()).toEqual([]);
    foreignIntact();
    expect(local.emulator.published()[0]?.subject).toBe('[autotap] cleanup-sessions: 1 sessions changed');
  });

  it('detached ENI: its session is deleted on the DetachNetworkInterface event', async () => {
    local = await startLocalAutotap(account(), configWith());
    await local.run('mirror-instances', stateEvent('i-0a1', 'running'));
    local.emulator.detachNetworkInterface('eni-0a2');
    await local.run(
      'cleanup-sessions',
      cloudTrail('DetachNetworkInterface', { attachmentId: 'eni-attach-01', force: false }),
    );
    expect(ours().map((s) => s.networkInterfaceId)).toEqual(['eni-0a1']);
    foreignIntact();
  });

  it('rejects other input as InvalidInput naming the field', async () => {
    local = await startLocalAutotap(account(), configWith());
    const execution = await local.run('cleanup-sessions', stateEvent('i-0a1', 'running'));
    expect(execution.error?.name).toBe('InvalidInput');
    expect(execution.error?.message).toContain('detail.state');
  });
});

describe('reconcile', () => {
  it('backfills a fleet that was running before autotap, and a second run changes nothing', async () => {
    local = await startLocalAutotap(account(), configWith());
    const first = await local.run('reconcile', {});
    expect((first.output as { counts: Record<string, number> }).counts).toEqual({ created: 3 });
    expect(
      ours()
        .map((s) => s.networkInterfaceId)
        .sort(),
    ).toEqual(['eni-0a1', 'eni-0a2', 'eni-0b1']);
    expect(ours().find((s) => s.networkInterfaceId === 'eni-0a2')?.sessionNumber).toBe(2);
    const second = await local.run('reconcile', {});
    expect((second.output as { counts: Record<string, number> }).counts).toEqual({});
    foreignIntact();
  });

  it('moves sessions to the configured target and filter after a configuration change', async () => {
    local = await startLocalAutotap(account(), configWith());
    await local.run('reconcile', {});
    await local.close();
    const seed = account({
      sessions: [
        ...(account().sessions ?? []),
        ...ours().map((s) => ({
          id: s.trafficMirrorSessionId,
          networkInterfaceId: s.networkInterfaceId,
          targetId: s.trafficMirrorTargetId,
          filterId: s.trafficMirrorFilterId,
          sessionNumber: s.sessionNumber,
          tags: s.tags,
          description: s.description,
        })),
      ],
    });
    local = await startLocalAutotap(seed, configWith({ filterId: 'tmf-0f2', targets: [{ id: 'tmt-0a2' }] }));
    const run = await local.run('reconcile', {});
    expect((run.output as { counts: Record<string, number> }).counts).toEqual({ modified: 3 });
    expect(ours().map((s) => [s.trafficMirrorTargetId, s.trafficMirrorFilterId])).toEqual([
      ['tmt-0a2', 'tmf-0f2'],
      ['tmt-0a2', 'tmf-0f2'],
      ['tmt-0a2', 'tmf-0f2'],
    ]);
    foreignIntact();
  });

  it('deletes sessions of instances now out of scope, limited to the given VPCs', async () => {
    local = await startLocalAutotap(account(), configWith());
    await local.run('reconcile', {});
    await local.close();
    const seed = account({
      instances: account().instances?.map((i) =>
        i.id === 'i-0b1' ? { ...i, tags: { 'autotap:mirror': 'false' } } : i,
      ),
      sessions: [
        {
          networkInterfaceId: 'eni-0b1',
          targetId: 'tmt-0a1',
          filterId: 'tmf-0f1',
          sessionNumber: 1,
          tags: { 'autotap:managed': 'true', 'autotap:instance-id': 'i-0b1' },
          description: 'autotap: i-0b1',
        },
      ],
    });
    local = await startLocalAutotap(seed, configWith());
    const limited = await local.run('reconcile', { vpcIds: ['vpc-0a1'] });
    expect((limited.output as { counts: Record<string, number> }).counts).toEqual({ created: 2 });
    expect(ours().some((s) => s.networkInterfaceId === 'eni-0b1')).toBe(true);
    const all = await local.run('reconcile', {});
    expect((all.output as { actions: unknown[] }).actions).toEqual([
      expect.objectContaining({
        action: 'delete',
        reason: 'excluded-by-tag',
        networkInterfaceId: 'eni-0b1',
        outcome: 'deleted',
      }),
    ]);
  });

  it('dry run changes nothing, and autotap plan shows exactly what reconcile then does', async () => {
    local = await startLocalAutotap(account(), configWith({ onStop: 'delete' }));
    await local.run('mirror-instances', stateEvent('i-0a1', 'running'));
    local.emulator.stopInstance('i-0a1');
    const sessionsBefore = local.emulator.sessions();
    const dry = await local.run('reconcile', { dryRun: true });
    expect(local.emulator.sessions()).toEqual(sessionsBefore);
    const planned = (await planAccount(mirroringOf(configWith({ onStop: 'delete' })), ec2)).map(publicAction);
    const dryActions = (dry.output as { actions: { action: string; networkInterfaceId: string; outcome: string }[] })
      .actions;
    expect(dryActions.every((a) => a.outcome === 'planned' || a.outcome === 'skipped')).toBe(true);
    const byKey = (a: { action: string; networkInterfaceId: string }) => `${a.action}:${a.networkInterfaceId}`;
    expect(dryActions.map(byKey).sort()).toEqual(planned.map(byKey).sort());
    const real = await local.run('reconcile', {});
    const done = (real.output as { actions: { action: string; networkInterfaceId: string; outcome: string }[] })
      .actions;
    expect(done.map(byKey).sort()).toEqual(planned.map(byKey).sort());
    expect(done.every((a) => a.outcome !== 'failed')).toBe(true);
    expect(planned.map((a) => [a.action, a.reason])).toEqual(
      expect.arrayContaining([
        ['delete', 'instance-stopped'],
        ['create', 'not-mirrored'],
      ]),
    );
  });

  it('rejects bad manual input naming the field', async () => {
    local = await startLocalAutotap(account(), configWith());
    const execution = await local.run('reconcile', { vpcIds: ['nope'] });
    expect(execution.error).toEqual({ name: 'InvalidInput', message: 'vpcIds[0]: "nope" is not a VPC id (vpc-...)' });
  });
});
