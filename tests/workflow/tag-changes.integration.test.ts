import { readFileSync } from 'node:fs';
import { parseConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import type { EmulatorSeed } from '../../local/emulator/index.ts';
import { startLocalAutotap, type LocalAutotap } from '../../local/environment.ts';
import { deliverTagChanges } from '../../local/tag-changes.ts';

/**
 * The tag-changes path on the local AWS: the real coalesceTagChanges reading the queue as the
 * stack's event source mapping does (deploy/tag-changes.ts), starting the real reconcile definition
 * through the emulated Step Functions API.
 */

type Event = Record<string, unknown> & { detail: Record<string, unknown> };
const sample = (file: string) =>
  JSON.parse(readFileSync(new URL(`../../events/${file}`, import.meta.url), 'utf8')) as Event;
const tagChange = (instanceId: string, keys = ['autotap:mirror'], tags: Record<string, string> = {}): Event => {
  const event = sample('tag-change-on-instance.json');
  return {
    ...event,
    resources: [`arn:aws:ec2:us-east-1:123456789012:instance/${instanceId}`],
    detail: { ...event.detail, 'changed-tag-keys': keys, tags },
  };
};
const createTags = (instanceIds: string[], keys: string[]): Event => {
  const event = sample('cloudtrail-create-tags.json');
  return {
    ...event,
    detail: {
      ...event.detail,
      requestParameters: {
        resourcesSet: { items: instanceIds.map((resourceId) => ({ resourceId })) },
        tagSet: { items: keys.map((key) => ({ key, value: 'x' })) },
      },
    },
  };
};

const config: Config = parseConfig({ mirroring: { filterId: 'tmf-0f1', targets: [{ id: 'tmt-0a1' }] } });
const instanceId = (n: number) => `i-0a${n.toString(16).padStart(4, '0')}`;
const seedOf = (count: number): EmulatorSeed => ({
  targets: [{ id: 'tmt-0a1', type: 'network-load-balancer' }],
  filters: [{ id: 'tmf-0f1' }],
  instances: Array.from({ length: count }, (_, n) => ({
    id: instanceId(n),
    availabilityZone: 'us-east-1a',
    networkInterfaces: [{ id: `eni-0a${n.toString(16).padStart(4, '0')}` }],
  })),
});

let local: LocalAutotap;
afterEach(async () => {
  await local?.close();
});

const sessionsPerEni = () => {
  const counts = new Map<string, number>();
  for (const s of local.emulator.sessions())
    counts.set(s.networkInterfaceId, (counts.get(s.networkInterfaceId) ?? 0) + 1);
  return counts;
};

test('a storm of 1,200 tag events over 20 instances starts one reconcile per batch (2), each instance once in each', async () => {
  local = await startLocalAutotap(seedOf(20), config);
  // Automation re-applying the same tags: 60 events per instance, both sources, interleaved.
  const events = Array.from({ length: 1200 }, (_, n) =>
    n % 2 === 0 ? tagChange(instanceId(n % 20)) : createTags([instanceId(n % 20)], ['autotap:mirror', 'owner']),
  );
  const run = await deliverTagChanges(events);
  await local.emulator.settleExecutions();

  expect(run.report.invocations).toBe(2);
  expect(run.deadLetters).toEqual([]);
  expect(local.started).toHaveLength(2);
  for (const execution of local.started) {
    expect(execution.status).toBe('SUCCEEDED');
    const ids = (execution.input as { instanceIds: string[] }).instanceIds;
    expect(ids).toHaveLength(20);
    expect(new Set(ids).size).toBe(20);
  }
  // Two evaluations of each instance, one session each.
  expect([...sessionsPerEni().values()]).toEqual(Array.from({ length: 20 }, () => 1));
});

test('tag changes of keys outside the scope, or of no instance, start nothing', async () => {
  local = await startLocalAutotap(seedOf(3), config);
  const run = await deliverTagChanges([
    createTags([instanceId(0), instanceId(1)], ['owner', 'cost-center']),
    createTags(['vol-0a1b2c3d4e5f60009'], ['autotap:mirror']),
  ]);
  await local.emulator.settleExecutions();
  expect(run.report.deleted).toBe(2);
  expect(local.started).toEqual([]);
  expect(local.emulator.sessions()).toEqual([]);
});

test('racing a launch of the same instance: the reconcile and mirror-instances together make one session', async () => {
  local = await startLocalAutotap(seedOf(5), config);
  const running = sample('ec2-instance-running.json');
  const launches = Array.from({ length: 5 }, (_, n) =>
    local.run('mirror-instances', { ...running, detail: { ...running.detail, 'instance-id': instanceId(n) } }),
  );
  const tags = deliverTagChanges(Array.from({ length: 5 }, (_, n) => tagChange(instanceId(n))));
  const [records] = await Promise.all([Promise.all(launches), tags]);
  await local.emulator.settleExecutions();
  expect(records.map((r) => r.status)).toEqual(Array.from({ length: 5 }, () => 'SUCCEEDED'));
  expect(local.started.map((r) => r.status)).toEqual(['SUCCEEDED']);
  expect([...sessionsPerEni().values()]).toEqual([1, 1, 1, 1, 1]);
});

test('a message that is not a tag event is parked after its redeliveries; the good ones of its batch go on', async () => {
  local = await startLocalAutotap(seedOf(2), config);
  const broken = createTags([instanceId(1)], ['autotap:mirror']);
  delete (broken.detail as { requestParameters?: unknown }).requestParameters;
  const run = await deliverTagChanges([tagChange(instanceId(0)), broken]);
  await local.emulator.settleExecutions();
  // Received three times (maxReceiveCount), then moved to the dead-letter queue, unchanged.
  expect(run.deadLetters).toEqual([JSON.stringify(broken)]);
  expect(local.started.map((r) => (r.input as { instanceIds: string[] }).instanceIds)).toEqual([[instanceId(0)]]);
  expect([...sessionsPerEni().keys()]).toEqual(['eni-0a0000']);
});

test('a reconcile that cannot be started hands its messages back: redelivered, then parked', async () => {
  local = await startLocalAutotap(seedOf(1), config);
  const saved = process.env.RECONCILE_STATE_MACHINE_ARN;
  process.env.RECONCILE_STATE_MACHINE_ARN = saved!.replace(/reconcile$/, 'no-such-machine');
  try {
    const run = await deliverTagChanges([tagChange(instanceId(0))]);
    expect(run.deadLetters).toHaveLength(1);
    expect(run.report.invocations).toBe(3);
  } finally {
    process.env.RECONCILE_STATE_MACHINE_ARN = saved;
  }
  expect(local.started).toEqual([]);
});
