import { DeleteTrafficMirrorSessionCommand, EC2Client } from '@aws-sdk/client-ec2';
import { parseConfig } from '../../src/config/load.ts';
import type { EmulatorSeed } from '../../local/emulator/index.ts';
import { startLocalAutotap, type LocalAutotap } from '../../local/environment.ts';
import type { EniResult } from '../../src/mirroring/types.ts';

/**
 * What EC2 leaves undocumented, run under both answers the emulator can give: a ClientToken used
 * again after its session was deleted, and a session number used twice on one ENI.
 */

const config = parseConfig({ mirroring: { filterId: 'tmf-0f1', targets: [{ id: 'tmt-0a1' }] } });
const seed = (undocumented: EmulatorSeed['undocumented']): EmulatorSeed => ({
  targets: [
    { id: 'tmt-0a1', type: 'network-load-balancer' },
    { id: 'tmt-0f9', type: 'network-load-balancer' },
  ],
  filters: [{ id: 'tmf-0f1' }, { id: 'tmf-0f9' }],
  instances: [{ id: 'i-0a1', availabilityZone: 'us-east-1a', networkInterfaces: [{ id: 'eni-0a1' }] }],
  undocumented,
});

let local: LocalAutotap;
afterEach(async () => {
  await local?.close();
});

const resultsOf = (output: unknown) => (output as { results: EniResult[] }).results;

describe.each(['replay', 'create'] as const)(
  'a ClientToken used again after its session was deleted, EC2 answering %s',
  (answer) => {
    it('mirror-instances reports created only for a session that exists', async () => {
      local = await startLocalAutotap(seed({ clientTokenAfterDelete: answer }), config);
      const first = resultsOf((await local.run('mirror-instances', { instanceIds: ['i-0a1'] })).output);
      const firstId = first[0]?.trafficMirrorSessionId as string;
      const ec2 = new EC2Client({
        endpoint: local.emulator.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      });
      await ec2.send(new DeleteTrafficMirrorSessionCommand({ TrafficMirrorSessionId: firstId }));
      ec2.destroy();
      // Same launch, same decision: the same token as the first create.
      const again = resultsOf((await local.run('mirror-instances', { instanceIds: ['i-0a1'] })).output);
      expect(again).toEqual([expect.objectContaining({ networkInterfaceId: 'eni-0a1', outcome: 'created' })]);
      const existing = local.emulator.sessions().map((s) => s.trafficMirrorSessionId);
      expect(existing).toEqual([again[0]?.trafficMirrorSessionId]);
      expect(existing).not.toContain(firstId);
    }, 30_000);
  },
);

describe.each(['refuse', 'accept'] as const)('session numbers used twice on an ENI, EC2 answering %s', (answer) => {
  it('autotap creates none with a number it knew was taken, and reconcile repairs a collision', async () => {
    local = await startLocalAutotap(seed({ duplicateSessionNumbers: answer }), config);
    local.emulator.addSession({
      id: 'tms-0f9',
      networkInterfaceId: 'eni-0a1',
      targetId: 'tmt-0f9',
      filterId: 'tmf-0f9',
      sessionNumber: 1,
    });
    const created = resultsOf((await local.run('mirror-instances', { instanceIds: ['i-0a1'] })).output);
    expect(created).toEqual([expect.objectContaining({ outcome: 'created', sessionNumber: 2 })]);

    // A collision that got in anyway (a number taken by another tool at the same moment).
    const ours = local.emulator.sessions().find((s) => s.tags['autotap:managed'] === 'true');
    local.emulator.account.sessions.get(ours?.trafficMirrorSessionId as string)!.sessionNumber = 1;
    const run = await local.run('reconcile', {});
    expect(run.status).toBe('SUCCEEDED');
    const numbers = local.emulator
      .sessions()
      .map((s) => [s.trafficMirrorSessionId === 'tms-0f9' ? 'other' : 'ours', s.sessionNumber]);
    expect(numbers.sort()).toEqual([
      ['other', 1],
      ['ours', 2],
    ]);
  }, 30_000);
});

describe('sessions eventually consistent', () => {
  it('a create is confirmed once describes catch up: created, one session, and a re-run finds it', async () => {
    local = await startLocalAutotap({ ...seed({}), faults: { sessionLagCalls: 2 } }, config);
    const first = resultsOf((await local.run('mirror-instances', { instanceIds: ['i-0a1'] })).output);
    expect(first).toEqual([expect.objectContaining({ outcome: 'created' })]);
    expect(local.emulator.sessions().map((s) => s.trafficMirrorSessionId)).toEqual([first[0]?.trafficMirrorSessionId]);
    const again = resultsOf((await local.run('mirror-instances', { instanceIds: ['i-0a1'] })).output);
    expect(again).toEqual([
      expect.objectContaining({
        outcome: 'already-mirrored',
        trafficMirrorSessionId: first[0]?.trafficMirrorSessionId,
      }),
    ]);
    expect(local.emulator.sessions()).toHaveLength(1);
  }, 30_000);
});
