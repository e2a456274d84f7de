import { parseConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import type { EmulatorSeed, RecordedEvent } from '../../local/emulator/index.ts';
import { startLocalAutotap, type LocalAutotap } from '../../local/environment.ts';

/**
 * autotap's own events on the emulated EventBridge bus, published by the real handlers at the end
 * of the real mirror-instances, reconcile and cleanup-sessions definitions.
 */

const configWith = (mirroring: Record<string, unknown> = {}): Config =>
  parseConfig({ mirroring: { filterId: 'tmf-0f1', targets: [{ id: 'tmt-0a1' }], ...mirroring } });

function seed(extra: Partial<EmulatorSeed> = {}): EmulatorSeed {
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
        networkInterfaces: [{ id: 'eni-0a1' }, { id: 'eni-0a2', deviceIndex: 1 }],
      },
      {
        id: 'i-0b1',
        availabilityZone: 'us-east-1a',
        tags: { 'autotap:mirror': 'false' },
        networkInterfaces: [{ id: 'eni-0b1' }],
      },
      // A type AWS's published list still admits but this account's EC2 refuses: known only by trying.
      { id: 'i-0c1', instanceType: 'c5.large', availabilityZone: 'us-east-1a', networkInterfaces: [{ id: 'eni-0c1' }] },
    ],
    unsupportedInstanceTypes: ['c5.large'],
    ...extra,
  };
}

let local: LocalAutotap;
afterEach(async () => {
  await local?.close();
});

const summary = (events: RecordedEvent[]) =>
  events
    .map((e) => {
      const d = e.detail as { networkInterfaceId: string; reason?: string; workflow: string };
      return `${e.detailType} ${d.networkInterfaceId} ${d.workflow}${d.reason ? ` ${d.reason}` : ''}`;
    })
    .sort();

describe('mirror-instances', () => {
  it('publishes one event per created or skipped ENI to the default bus, with the per-ENI result and the execution ARN', async () => {
    local = await startLocalAutotap(seed(), configWith());
    const execution = await local.run('mirror-instances', { instanceIds: ['i-0a1', 'i-0b1', 'i-0c1'] });
    expect(execution.status).toBe('SUCCEEDED');
    const events = local.emulator.events();
    expect(summary(events)).toEqual([
      'Interface Skipped eni-0b1 mirror-instances excluded-by-tag',
      'Interface Skipped eni-0c1 mirror-instances unsupported',
      'Mirror Session Created eni-0a1 mirror-instances',
      'Mirror Session Created eni-0a2 mirror-instances',
    ]);
    for (const e of events) {
      expect(e.source).toBe('autotap');
      expect(e.eventBusName).toBe('default');
    }
    const created = events.find(
      (e) =>
        e.detailType === 'Mirror Session Created' &&
        (e.detail as { networkInterfaceId: string }).networkInterfaceId === 'eni-0a1',
    )!;
    const session = local.emulator.sessions().find((s) => s.networkInterfaceId === 'eni-0a1')!;
    expect(created.detail).toEqual({
      workflow: 'mirror-instances',
      executionArn: execution.executionArn,
      instanceId: 'i-0a1',
      networkInterfaceId: 'eni-0a1',
      sessionNumber: session.sessionNumber,
      trafficMirrorSessionId: session.trafficMirrorSessionId,
      trafficMirrorTargetId: 'tmt-0a1',
    });
  });

  it('a re-run publishes no Created event for ENIs already mirrored', async () => {
    local = await startLocalAutotap(seed(), configWith());
    await local.run('mirror-instances', { instanceIds: ['i-0a1'] });
    expect(local.emulator.events()).toHaveLength(2);
    const again = await local.run('mirror-instances', { instanceIds: ['i-0a1'] });
    expect(again.status).toBe('SUCCEEDED');
    expect(local.emulator.events()).toHaveLength(2);
  });

  it('a dry run publishes nothing', async () => {
    local = await startLocalAutotap(seed(), configWith());
    const dry = await local.run('mirror-instances', { instanceIds: ['i-0a1'], dryRun: true });
    expect(dry.status).toBe('SUCCEEDED');
    expect(local.emulator.events()).toEqual([]);
  });

  it('publishes nothing, and calls no PutEvents, with mirroring.publishEvents: false', async () => {
    local = await startLocalAutotap(seed(), configWith({ publishEvents: false }));
    const execution = await local.run('mirror-instances', { instanceIds: ['i-0a1', 'i-0b1'] });
    expect(execution.status).toBe('SUCCEEDED');
    expect(local.emulator.sessions()).toHaveLength(2);
    expect(local.emulator.events()).toEqual([]);
    expect(local.emulator.calls().PutEvents).toBeUndefined();
  });

  it('entries EventBridge reports failed are published again; each event arrives once', async () => {
    local = await startLocalAutotap(seed(), configWith());
    local.emulator.failEventEntries(3);
    const execution = await local.run('mirror-instances', { instanceIds: ['i-0a1', 'i-0b1', 'i-0c1'] });
    expect(execution.status).toBe('SUCCEEDED');
    expect(summary(local.emulator.events())).toHaveLength(4);
    expect(new Set(summary(local.emulator.events())).size).toBe(4);
    expect(local.emulator.calls().PutEvents).toBe(2);
  });

  it('when a Lambda runs out of rounds, the state machine retries Summarize and the events still arrive', async () => {
    local = await startLocalAutotap(seed(), configWith());
    // One event, refused in all 4 rounds of the first invocation, accepted in the second.
    local.emulator.failEventEntries(4);
    const execution = await local.run('mirror-instances', { instanceIds: ['i-0b1'] });
    expect(execution.status).toBe('SUCCEEDED');
    expect(summary(local.emulator.events())).toEqual(['Interface Skipped eni-0b1 mirror-instances excluded-by-tag']);
    expect(local.emulator.calls().PutEvents).toBe(5);
  });

  it('events that can never be published fail the execution as ServiceUnavailable after the retries', async () => {
    local = await startLocalAutotap(seed(), configWith());
    local.emulator.failEventEntries(1_000);
    const execution = await local.run('mirror-instances', { instanceIds: ['i-0b1'] });
    expect(execution.status).toBe('FAILED');
    expect(execution.error?.name).toBe('ServiceUnavailable');
    expect(local.emulator.events()).toEqual([]);
  });
});

describe('reconcile and cleanup-sessions', () => {
  it('reconcile publishes Created for the ENIs it backfills and Skipped for creates it attempted, not for standing exclusions', async () => {
    local = await startLocalAutotap(seed(), configWith());
    const run = await local.run('reconcile', {});
    expect(run.status).toBe('SUCCEEDED');
    // eni-0b1 (excluded by tag) is a planned skip; eni-0c1 is only known unsupported by trying.
    expect(summary(local.emulator.events())).toEqual([
      'Interface Skipped eni-0c1 reconcile unsupported',
      'Mirror Session Created eni-0a1 reconcile not-mirrored',
      'Mirror Session Created eni-0a2 reconcile not-mirrored',
    ]);
    const created = local.emulator
      .events()
      .find((e) => (e.detail as { networkInterfaceId: string }).networkInterfaceId === 'eni-0a1');
    expect(created!.detail).toMatchObject({
      instanceId: 'i-0a1',
      trafficMirrorTargetId: 'tmt-0a1',
      trafficMirrorSessionId: expect.stringMatching(/^tms-/),
    });
    const before = local.emulator.events().length;
    await local.run('reconcile', {});
    expect(summary(local.emulator.events().slice(before))).toEqual(['Interface Skipped eni-0c1 reconcile unsupported']);
  });

  it('reconcile publishes Drift Repaired for sessions moved to the configured target and filter', async () => {
    const drifted = seed({
      sessions: [
        {
          id: 'tms-0a1',
          networkInterfaceId: 'eni-0a1',
          targetId: 'tmt-0a1',
          filterId: 'tmf-0f1',
          sessionNumber: 1,
          tags: { 'autotap:managed': 'true', 'autotap:instance-id': 'i-0a1' },
        },
        {
          id: 'tms-0a2',
          networkInterfaceId: 'eni-0a2',
          targetId: 'tmt-0a1',
          filterId: 'tmf-0f1',
          sessionNumber: 1,
          tags: { 'autotap:managed': 'true', 'autotap:instance-id': 'i-0a1' },
        },
      ],
    });
    local = await startLocalAutotap(drifted, configWith({ filterId: 'tmf-0f2', targets: [{ id: 'tmt-0a2' }] }));
    await local.run('reconcile', {});
    expect(summary(local.emulator.events()).filter((e) => !e.includes('eni-0c1'))).toEqual([
      'Drift Repaired eni-0a1 reconcile target-not-configured,filter-changed',
      'Drift Repaired eni-0a2 reconcile target-not-configured,filter-changed',
    ]);
    expect(local.emulator.events().find((e) => e.detailType === 'Drift Repaired')!.detail).toMatchObject({
      trafficMirrorSessionId: 'tms-0a1',
      trafficMirrorTargetId: 'tmt-0a2',
      trafficMirrorFilterId: 'tmf-0f2',
    });
  });

  it('a reconcile dry run publishes nothing', async () => {
    local = await startLocalAutotap(seed(), configWith());
    await local.run('reconcile', { dryRun: true });
    expect(local.emulator.sessions()).toEqual([]);
    expect(local.emulator.events()).toEqual([]);
  });

  it('cleanup-sessions publishes Mirror Session Deleted with the reason', async () => {
    local = await startLocalAutotap(seed(), configWith({ onStop: 'delete' }));
    await local.run('mirror-instances', { instanceIds: ['i-0a1'] });
    const created = local.emulator.events().length;
    local.emulator.stopInstance('i-0a1');
    await local.run('cleanup-sessions', {
      version: '0',
      id: 'e-stop',
      'detail-type': 'EC2 Instance State-change Notification',
      source: 'aws.ec2',
      account: '123456789012',
      time: '2026-11-11T21:29:54Z',
      region: 'us-east-1',
      resources: [],
      detail: { 'instance-id': 'i-0a1', state: 'stopped' },
    });
    expect(summary(local.emulator.events().slice(created))).toEqual([
      'Mirror Session Deleted eni-0a1 cleanup-sessions instance-stopped',
      'Mirror Session Deleted eni-0a2 cleanup-sessions instance-stopped',
    ]);
  });

  it('reconcile events carry the execution ARN; events that can never be published are reported, the changes stand', async () => {
    local = await startLocalAutotap(seed(), configWith());
    local.emulator.failEventEntries(1_000);
    const run = await local.run('reconcile', {});
    expect(run.status).toBe('SUCCEEDED');
    expect(local.emulator.sessions().filter((s) => s.tags['autotap:managed'] === 'true')).toHaveLength(2);
    expect((run.output as { counts: Record<string, number> }).counts['unpublished-events']).toBe(3);
    const report = local.emulator.published().find((m) => m.topicArn === local.opsTopicArn);
    expect(report?.message).toContain('3 autotap event(s) could not be published to EventBridge');

    await local.close();
    local = await startLocalAutotap(seed(), configWith());
    const second = await local.run('reconcile', {});
    expect(local.emulator.events().map((e) => (e.detail as { executionArn?: string }).executionArn)).toEqual(
      local.emulator.events().map(() => second.executionArn),
    );
  });

  it('reconcile publishes nothing with mirroring.publishEvents: false', async () => {
    local = await startLocalAutotap(seed(), configWith({ publishEvents: false }));
    await local.run('reconcile', {});
    expect(local.emulator.sessions()).toHaveLength(2);
    expect(local.emulator.events()).toEqual([]);
  });
});
