import { EC2Client } from '@aws-sdk/client-ec2';
import { describeTargets, TARGETS_CACHE_MS } from '../../src/aws/ec2.ts';
import { startEmulator, type Emulator } from '../../local/emulator/index.ts';

let emulator: Emulator;
let client: EC2Client;
beforeEach(async () => {
  emulator = await startEmulator({ targets: [{ id: 'tmt-0a1', type: 'network-load-balancer' }] });
  client = new EC2Client({
    endpoint: emulator.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    maxAttempts: 1,
  });
});
afterEach(async () => {
  client.destroy();
  await emulator.close();
});

describe('describeTargets', () => {
  it('shares one request among concurrent callers and reuses it within the cache time', async () => {
    const [a, b] = await Promise.all([describeTargets(client, 1_000), describeTargets(client, 1_000)]);
    expect(a.map((t) => t.trafficMirrorTargetId)).toEqual(['tmt-0a1']);
    expect(b).toEqual(a);
    await describeTargets(client, 1_000 + TARGETS_CACHE_MS - 1);
    expect(emulator.calls().DescribeTrafficMirrorTargets).toBe(1);
    emulator.addTarget({ id: 'tmt-0a2', type: 'network-load-balancer' });
    const later = await describeTargets(client, 1_000 + TARGETS_CACHE_MS);
    expect(later.map((t) => t.trafficMirrorTargetId).sort()).toEqual(['tmt-0a1', 'tmt-0a2']);
    expect(emulator.calls().DescribeTrafficMirrorTargets).toBe(2);
  });

  it('does not keep a failed answer', async () => {
    emulator.setFaults({ serverErrors: { actions: ['DescribeTrafficMirrorTargets'], count: 1 } });
    await expect(describeTargets(client, 5_000_000)).rejects.toMatchObject({
      name: 'ServiceUnavailable',
      code: 'InternalError',
    });
    expect((await describeTargets(client, 5_000_000)).map((t) => t.trafficMirrorTargetId)).toEqual(['tmt-0a1']);
  });
});
