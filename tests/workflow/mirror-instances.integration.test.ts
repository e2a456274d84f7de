import { readFileSync } from 'node:fs';
import { parseConfig } from '../../src/config/load.ts';
import type { EmulatorSeed } from '../../local/emulator/index.ts';
import { startLocalAutotap, type LocalAutotap } from '../../local/environment.ts';
import type { EniResult } from '../../src/mirroring/types.ts';

/**
 * The real mirror-instances definition, run by aws-local-stepfunctions, calling the real handlers,
 * whose real SDK clients talk to the EC2/SNS emulator over loopback.
 */

const runningEvent = JSON.parse(
  readFileSync(new URL('../../events/ec2-instance-running.json', import.meta.url), 'utf8'),
) as {
  detail: Record<string, unknown>;
};
const eventFor = (instanceId: string) => ({ ...runningEvent, detail: { 'instance-id': instanceId, state: 'running' } });

const config = parseConfig({
  mirroring: {
    filterId: 'tmf-0f1',
    targets: [{ id: 'tmt-0a1', availabilityZone: 'us-east-1a' }],
  },
});

function seed(extra: Partial<EmulatorSeed> = {}): EmulatorSeed {
  return {
    targets: [
      { id: 'tmt-0a1', type: 'network-load-balancer', availabilityZone: 'us-east-1a' },
      { id: 'tmt-0f9', type: 'network-load-balancer', availabilityZone: 'us-east-1a' },
    ],
    filters: [{ id: 'tmf-0f1' }, { id: 'tmf-0f9' }],
    instances: [
      {
        id: 'i-0a1',
        instanceType: 'm5.large',
        availabilityZone: 'us-east-1a',
        vpcId: 'vpc-0a1',
        subnetId: 'subnet-0a1',
        tags: { Name: 'web' },
        networkInterfaces: [
          { id: 'eni-0a1', deviceIndex: 0 },
          { id: 'eni-0a2', deviceIndex: 1 },
        ],
      },
      {
        id: 'i-0b1',
        instanceType: 'm5.large',
        availabilityZone: 'us-east-1a',
        tags: { 'autotap:mirror': 'false' },
        networkInterfaces: [{ id: 'eni-0b1' }],
      },
      { id: 'i-0c1', instanceType: 't2.micro', availabilityZone: 'us-east-1a', networkInterfaces: [{ id: 'eni-0c1' }] },
      { id: 'i-0d1', instanceType: 'm5.large', availabilityZone: 'us-east-1a', networkInterfaces: [{ id: 'eni-0d1' }] },
    ],
    sessions: [
      { id: 'tms-0d1', networkInterfaceId: 'eni-0d1', targetId: 'tmt-0f9', filterId: 'tmf-0f9', sessionNumber: 1 },
      { id: 'tms-0d2', networkInterfaceId: 'eni-0d1', targetId: 'tmt-0f9', filterId: 'tmf-0f9', sessionNumber: 2 },
      { id: 'tms-0d3', networkInterfaceId: 'eni-0d1', targetId: 'tmt-0f9', filterId: 'tmf-0f9', sessionNumber: 3 },
    ],
    ...extra,
  };
}

let local: LocalAutotap;
afterEach(async () => {
  await local?.close();
});

const resultsOf = (output: unknown) => (output as { results: EniResult[] }).results;
const ours = () => local.emulator.sessions().filter((s) => s.tags['autotap:managed'] === 'true');

describe('mirror-instances, end to end', () => {
  it('mirrors both ENIs of a two-ENI instance, tagged, with the configured filter', async () => {
    local = await startLocalAutotap(seed(), config);
    const execution = await local.run('mirror-instances', eventFor('i-0a1'));
    expect(execution.status).toBe('SUCCEEDED');
    expect(resultsOf(execution.output)).toEqual([
      expect.objectContaining({
        instanceId: 'i-0a1',
        networkInterfaceId: 'eni-0a1',
        outcome: 'created',
        sessionNumber: 1,
        trafficMirrorTargetId: 'tmt-0a1',
      }),
      expect.objectContaining({
        instanceId: 'i-0a1',
        networkInterfaceId: 'eni-0a2',
        outcome: 'created',
        sessionNumber: 1,
        trafficMirrorTargetId: 'tmt-0a1',
      }),
    ]);
    expect(ours().map((s) => [s.networkInterfaceId, s.trafficMirrorFilterId, s.tags['autotap:instance-id']])).toEqual([
      ['eni-0a1', 'tmf-0f1', 'i-0a1'],
      ['eni-0a2', 'tmf-0f1', 'i-0a1'],
    ]);
    expect(local.emulator.published()).toEqual([]);
  });

  it('ends a duplicate event with one session per ENI, reported already-mirrored', async () => {
    local = await startLocalAutotap(seed(), config);
    await local.run('mirror-instances', eventFor('i-0a1'));
    const second = await local.run('mirror-instances', eventFor('i-0a1'));
    expect(resultsOf(second.output).map((r) => r.outcome)).toEqual(['already-mirrored', 'already-mirrored']);
    expect(ours()).toHaveLength(2);
  });

  it('ends the same event delivered three times concurrently with one session per ENI', async () => {
    local = await startLocalAutotap(seed(), config);
    const runs = await Promise.all([1, 2, 3].map(() => local.run('mirror-instances', eventFor('i-0a1'))));
    expect(runs.map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(
      ours()
        .map((s) => s.networkInterfaceId)
        .sort(),
    ).toEqual(['eni-0a1', 'eni-0a2']);
  });

  it('skips an instance excluded by tag, creating nothing', async () => {
    local = await startLocalAutotap(seed(), config);
    const execution = await local.run('mirror-instances', { instanceId: 'i-0b1' });
    expect(resultsOf(execution.output)).toEqual([
      { instanceId: 'i-0b1', networkInterfaceId: 'eni-0b1', outcome: 'skipped', reason: 'excluded-by-tag' },
    ]);
    expect(ours()).toEqual([]);
  });

  it('reports an unsupported instance type as skipped, unsupported', async () => {
    local = await startLocalAutotap(seed(), config);
    const execution = await local.run('mirror-instances', eventFor('i-0c1'));
    expect(resultsOf(execution.output)).toEqual([
      expect.objectContaining({ networkInterfaceId: 'eni-0c1', outcome: 'skipped', reason: 'unsupported' }),
    ]);
    expect(ours()).toEqual([]);
  });

  it('leaves an ENI with three sessions alone and tells the ops topic', async () => {
    local = await startLocalAutotap(seed(), config);
    const execution = await local.run('mirror-instances', eventFor('i-0d1'));
    expect(resultsOf(execution.output)).toEqual([
      expect.objectContaining({ networkInterfaceId: 'eni-0d1', outcome: 'skipped', reason: 'session-limit' }),
    ]);
    expect(local.emulator.sessions().filter((s) => s.networkInterfaceId === 'eni-0d1')).toHaveLength(3);
    const [report] = local.emulator.published();
    expect(report?.topicArn).toBe(local.opsTopicArn);
    expect(report?.message).toContain('eni-0d1 of i-0d1: skipped, session-limit');
  });

  it('dry run: says what it would create and creates nothing', async () => {
    local = await startLocalAutotap(seed(), config);
    const execution = await local.run('mirror-instances', { instanceIds: ['i-0a1'], dryRun: true });
    expect(resultsOf(execution.output)).toEqual([
      expect.objectContaining({
        networkInterfaceId: 'eni-0a1',
        outcome: 'skipped',
        reason: 'dry-run',
        sessionNumber: 1,
        trafficMirrorTargetId: 'tmt-0a1',
      }),
      expect.objectContaining({
        networkInterfaceId: 'eni-0a2',
        outcome: 'skipped',
        reason: 'dry-run',
        sessionNumber: 1,
        trafficMirrorTargetId: 'tmt-0a1',
      }),
    ]);
    expect(local.emulator.sessions()).toHaveLength(3);
  });

  it('fails invalid manual input as InvalidInput naming the field, touching nothing', async () => {
    local = await startLocalAutotap(seed(), config);
    const execution = await local.run('mirror-instances', { instanceIds: ['i-0a1', 'abc'] });
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toEqual({
      name: 'InvalidInput',
      message: 'instanceIds[1]: "abc" is not an instance id (i-...)',
    });
    expect(local.emulator.calls()).toEqual({});
  });

  it('mirrors only the named ENI for networkInterfaceIds input, and reports unknown ones not-found', async () => {
    local = await startLocalAutotap(seed(), config);
    const execution = await local.run('mirror-instances', { networkInterfaceIds: ['eni-0a2', 'eni-0ff'] });
    expect(resultsOf(execution.output)).toEqual([
      { instanceId: '', networkInterfaceId: 'eni-0ff', outcome: 'skipped', reason: 'not-found' },
      expect.objectContaining({ networkInterfaceId: 'eni-0a2', outcome: 'created' }),
    ]);
    expect(ours().map((s) => s.networkInterfaceId)).toEqual(['eni-0a2']);
  });
});
