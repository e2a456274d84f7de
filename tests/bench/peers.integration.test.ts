import { EC2Client } from '@aws-sdk/client-ec2';
import { startEmulator, type Emulator, type EmulatorSeed } from '../../local/emulator/index.ts';
import { AUTO_MIRROR, AWS_SAMPLE, CHECK_POINT, VECTRA, lastPlusOne, type PeerEnvironment, type PeerStrategy } from '../../local/bench/peer-strategies.ts';
import { LATENCY_MODEL } from '../../local/bench/latency-model.ts';
import { runPeer, type PeerRunParams } from '../../local/bench/peers.ts';
import { FILTER_ID, ZONAL_TARGETS, type StateChangeEvent } from '../../local/bench/scenario.ts';

/**
 * The alternatives behave as their sources describe, on the emulator through real SDK clients: the
 * fixed session number collides with a session already there, "last + 1" collides when two runs
 * overlap and not when they follow each other, a scan finds an ENI only when it runs.
 */

const env: PeerEnvironment = {
  targetsByZone: new Map(ZONAL_TARGETS.map((t) => [t.availabilityZone, t.id])),
  filterId: FILTER_ID,
  excluded: (tags) => tags['autotap:mirror'] === 'false',
};
const OTHER_TARGET = 'tmt-0b9';

function seed(extra: Partial<EmulatorSeed> = {}): EmulatorSeed {
  return {
    targets: [...ZONAL_TARGETS.map((t) => ({ id: t.id, type: 'network-load-balancer' as const, availabilityZone: t.availabilityZone })), { id: OTHER_TARGET, type: 'network-load-balancer' }],
    filters: [{ id: FILTER_ID }],
    instances: [{ id: 'i-0a1', availabilityZone: 'us-east-1b', networkInterfaces: [{ id: 'eni-0a1', deviceIndex: 0 }] }],
    ...extra,
  };
}

const event = (instanceId: string): StateChangeEvent => ({
  version: '0',
  id: `event-${instanceId}`,
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '123456789012',
  time: '2026-11-11T21:29:54Z',
  region: 'us-east-1',
  resources: [],
  detail: { 'instance-id': instanceId, state: 'running' },
});

let emulator: Emulator;
let ec2: EC2Client | undefined;
let open: Emulator[] = [];
async function account(extra: Partial<EmulatorSeed> = {}): Promise<void> {
  emulator = await startEmulator(seed(extra));
  open.push(emulator);
  ec2?.destroy();
  ec2 = new EC2Client({ region: 'us-east-1', endpoint: emulator.env().AWS_ENDPOINT_URL_EC2, credentials: { accessKeyId: 'AKIATEST', secretAccessKey: 'test' }, maxAttempts: 1 });
}
afterEach(async () => {
  ec2?.destroy();
  ec2 = undefined;
  for (const e of open) await e.close();
  open = [];
});

const invoke = (strategy: PeerStrategy) => strategy.handle({ ec2: ec2 as EC2Client, env, signal: new AbortController().signal, event: event('i-0a1') });
const sessionsOn = (eni: string) => emulator.sessions().filter((s) => s.networkInterfaceId === eni);

describe('fixed session numbers (AWS sample: 100; Check Point, Vectra: 1)', () => {
  it('the AWS sample mirrors a fresh ENI to the target of its zone with number 100', async () => {
    await account();
    await expect(invoke(AWS_SAMPLE)).resolves.toEqual({ created: 1 });
    expect(sessionsOn('eni-0a1')).toEqual([expect.objectContaining({ sessionNumber: 100, trafficMirrorTargetId: 'tmt-0a2' })]);
  });

  it.each([
    [AWS_SAMPLE.name, AWS_SAMPLE, 100],
    [CHECK_POINT.name, CHECK_POINT, 1],
  ])('%s fails on an ENI that already has a session with its number, and gives up', async (_name, strategy, number) => {
    await account({ sessions: [{ networkInterfaceId: 'eni-0a1', targetId: OTHER_TARGET, filterId: FILTER_ID, sessionNumber: number }] });
    await expect(invoke(strategy)).resolves.toEqual({ created: 0 });
    expect(emulator.calls().CreateTrafficMirrorSession).toBe(1);
    expect(emulator.successfulCalls().CreateTrafficMirrorSession ?? 0).toBe(0);
    expect(sessionsOn('eni-0a1')).toHaveLength(1);
  });

  it('the AWS sample mirrors the first ENI only; Check Point every ENI', async () => {
    const twoEnis = { instances: [{ id: 'i-0a1', availabilityZone: 'us-east-1b' as const, networkInterfaces: [{ id: 'eni-0a1', deviceIndex: 0 }, { id: 'eni-0a2', deviceIndex: 1 }] }] };
    await account(twoEnis);
    await invoke(AWS_SAMPLE);
    expect(sessionsOn('eni-0a2')).toHaveLength(0);
    await account(twoEnis);
    await invoke(CHECK_POINT);
    expect(sessionsOn('eni-0a2')).toHaveLength(1);
  });
});

describe('AutoMirror: last used number + 1, one invocation at a time', () => {
  it('numbers from the sessions it listed: 1 on a fresh ENI, else the last one + 1, none past three', () => {
    expect(lastPlusOne([], 'eni-1')).toBe(1);
    expect(lastPlusOne([{ NetworkInterfaceId: 'eni-2', SessionNumber: 7 }], 'eni-1')).toBe(1);
    expect(lastPlusOne([{ NetworkInterfaceId: 'eni-1', SessionNumber: 4 }], 'eni-1')).toBe(5);
    expect(lastPlusOne([1, 2, 3].map((n) => ({ NetworkInterfaceId: 'eni-1', SessionNumber: n })), 'eni-1')).toBeNull();
  });

  it('run one after the other, the second run sees the first session and creates nothing', async () => {
    await account();
    await expect(invoke(AUTO_MIRROR)).resolves.toEqual({ created: 1 });
    await expect(invoke(AUTO_MIRROR)).resolves.toEqual({ created: 0 });
    expect(sessionsOn('eni-0a1')).toEqual([expect.objectContaining({ sessionNumber: 1 })]);
  });

  it('two runs at once both pick number 1: EC2 refuses the second, which fails its invocation', async () => {
    await account();
    const results = await Promise.allSettled([invoke(AUTO_MIRROR), invoke(AUTO_MIRROR)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(sessionsOn('eni-0a1')).toHaveLength(1);
  });

  it('two runs at once where EC2 accepts a repeated number: a duplicate session', async () => {
    await account({ undocumented: { clientTokenAfterDelete: 'replay', duplicateSessionNumbers: 'accept' } });
    await Promise.all([invoke(AUTO_MIRROR), invoke(AUTO_MIRROR)]);
    expect(sessionsOn('eni-0a1')).toHaveLength(2);
  });

  it('sends every ENI to the last target listed, whatever its zone', async () => {
    await account();
    await invoke(AUTO_MIRROR);
    expect(sessionsOn('eni-0a1')[0]?.trafficMirrorTargetId).toBe(OTHER_TARGET);
  });
});

const small: PeerRunParams = {
  burst: { instances: 6, twoEniShare: 0.5, excludedShare: 0.2, unsupportedShare: 0.2, duplicateShare: 0.2, seed: 3 },
  concurrency: 4,
  scale: 20,
  describe: { capacity: 100, refillPerSecond: 20 },
  mutate: { capacity: 50, refillPerSecond: 5 },
  scanPeriodSeconds: 300,
  scanPhaseSeconds: 120,
  maxScans: 3,
  maxModelSeconds: 900,
  latency: LATENCY_MODEL,
};

describe('the platform around the strategies', () => {
  it('a scan finds the launched ENIs only when it runs: none is mirrored before the next period', async () => {
    const result = await runPeer(VECTRA, small);
    expect(result.outcome.mirroredEnis).toBe(result.outcome.eligibleEnis);
    expect(result.latency.p50).toBeGreaterThanOrEqual(small.scanPhaseSeconds);
    // The first scan mirrored all; the second found nothing to do and the schedule stopped there.
    expect(result.invocations.total).toBe(2);
    // One target for the VPC: ENIs of the other zones go across.
    expect(result.outcome.wrongZoneSessions).toBeGreaterThan(0);
  }, 60_000);

  it('scores a strategy that mirrors nothing below one that works, on the same burst', async () => {
    const broken: PeerStrategy = { ...CHECK_POINT, name: 'broken', handle: async () => ({ created: 0 }) };
    const [working, idle] = [await runPeer(CHECK_POINT, small), await runPeer(broken, small)];
    expect(working.outcome.mirroredEnis).toBe(working.outcome.eligibleEnis);
    expect(idle.outcome.mirroredEnis).toBe(0);
    expect(idle.lastMirroredSeconds).toBeNull();
    expect(idle.latency.neverMirrored).toBe(idle.latency.enis);
  }, 60_000);
});
