import {
  CreateTrafficMirrorSessionCommand,
  DescribeInstancesCommand,
  DescribeTrafficMirrorSessionsCommand,
} from '@aws-sdk/client-ec2';
import { PublishCommand } from '@aws-sdk/client-sns';
import { afterEach, describe, expect, test } from '@jest/globals';
import { startEmulator, type Emulator } from '../../local/emulator/index.ts';
import { baseSeed, ec2Client, failure, snsClient } from './fixture.ts';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const create = (NetworkInterfaceId: string, SessionNumber = 1) =>
  new CreateTrafficMirrorSessionCommand({
    NetworkInterfaceId,
    TrafficMirrorTargetId: 'tmt-nlb',
    TrafficMirrorFilterId: 'tmf-1',
    SessionNumber,
  });

describe('throttling', () => {
  test('an empty bucket answers RequestLimitExceeded (503) when the SDK does not retry', async () => {
    emulator = await startEmulator({
      ...baseSeed(),
      faults: { throttle: { mutate: { capacity: 1, refillPerSecond: 0 } } },
    });
    const client = ec2Client(emulator, { maxAttempts: 1 });
    await client.send(create('eni-web1'));
    const error = await failure(client.send(create('eni-web2')));
    expect(error.name).toBe('RequestLimitExceeded');
    expect(error.$metadata?.httpStatusCode).toBe(503);
    // Describe calls use their own bucket.
    await client.send(new DescribeInstancesCommand({}));
    expect(emulator.calls().CreateTrafficMirrorSession).toBe(2);
    expect(emulator.successfulCalls().CreateTrafficMirrorSession).toBe(1);
  });

  test("the SDK's own retries get through once the bucket refills", async () => {
    emulator = await startEmulator({
      ...baseSeed(),
      faults: { throttle: { describe: { capacity: 1, refillPerSecond: 8 } } },
    });
    const client = ec2Client(emulator, { maxAttempts: 10 });
    await client.send(new DescribeTrafficMirrorSessionsCommand({}));
    const out = await client.send(new DescribeTrafficMirrorSessionsCommand({}));
    expect(out.$metadata.attempts).toBeGreaterThan(1);
    expect(emulator.calls().DescribeTrafficMirrorSessions).toBe(1 + (out.$metadata.attempts ?? 0));
    expect(emulator.successfulCalls().DescribeTrafficMirrorSessions).toBe(2);
  });

  test('the bucket refills by the injected clock', async () => {
    let now = 1_000_000;
    emulator = await startEmulator(
      { ...baseSeed(), faults: { throttle: { mutate: { capacity: 2, refillPerSecond: 1 } } } },
      { clock: () => now },
    );
    const client = ec2Client(emulator, { maxAttempts: 1 });
    await client.send(create('eni-web1', 1));
    await client.send(create('eni-web1', 2));
    expect((await failure(client.send(create('eni-web1', 3)))).name).toBe('RequestLimitExceeded');
    now += 1000;
    await client.send(create('eni-web1', 3));
    expect((await failure(client.send(create('eni-web2')))).name).toBe('RequestLimitExceeded');
  });

  test('a seeded random rate throttles the same calls on every run', async () => {
    const outcomes = async () => {
      const emu = await startEmulator({
        ...baseSeed(),
        faults: { throttle: { rate: 0.5, actions: ['DescribeInstances'], seed: 7 } },
      });
      const client = ec2Client(emu, { maxAttempts: 1 });
      const results: string[] = [];
      for (let i = 0; i < 20; i++) {
        results.push(
          await client.send(new DescribeInstancesCommand({})).then(
            () => 'ok',
            (e: Error) => e.name,
          ),
        );
      }
      await client.send(new DescribeTrafficMirrorSessionsCommand({}));
      await emu.close();
      return results;
    };
    const first = await outcomes();
    expect(first).toContain('RequestLimitExceeded');
    expect(first).toContain('ok');
    expect(await outcomes()).toEqual(first);
  });

  test('faults can be changed at runtime', async () => {
    emulator = await startEmulator(baseSeed());
    const client = ec2Client(emulator, { maxAttempts: 1 });
    await client.send(new DescribeInstancesCommand({}));
    emulator.setFaults({ throttle: { rate: 1 } });
    expect((await failure(client.send(new DescribeInstancesCommand({})))).name).toBe('RequestLimitExceeded');
    emulator.setFaults({});
    await client.send(new DescribeInstancesCommand({}));
  });

  test("SNS calls are throttled with SNS's own error", async () => {
    emulator = await startEmulator({ ...baseSeed(), faults: { throttle: { rate: 1, actions: ['Publish'] } } });
    const error = await failure(
      snsClient(emulator, 1).send(new PublishCommand({ TopicArn: emulator.createTopic('alerts'), Message: 'x' })),
    );
    expect(error.name).toBe('ThrottledException');
    expect(emulator.published()).toEqual([]);
  });
});

describe('eventual consistency', () => {
  test('an instance and an ENI are NotFound for their first N calls that name them', async () => {
    emulator = await startEmulator({ ...baseSeed(), faults: { invisibleForCalls: 2 } });
    const client = ec2Client(emulator, { maxAttempts: 1 });
    for (let i = 0; i < 2; i++) {
      expect((await failure(client.send(new DescribeInstancesCommand({ InstanceIds: ['i-web1'] })))).name).toBe(
        'InvalidInstanceID.NotFound',
      );
    }
    const out = await client.send(new DescribeInstancesCommand({ InstanceIds: ['i-web1'] }));
    expect(out.Reservations?.[0]?.Instances?.[0]?.InstanceId).toBe('i-web1');
    for (let i = 0; i < 2; i++) {
      expect((await failure(client.send(create('eni-web1')))).name).toBe('InvalidNetworkInterfaceID.NotFound');
    }
    await client.send(create('eni-web1'));
    expect(emulator.sessions()).toHaveLength(1);
  });

  test('resources are absent for their first milliseconds, by the injected clock', async () => {
    let now = 5_000;
    emulator = await startEmulator({ ...baseSeed(), faults: { invisibleForMs: 1000 } }, { clock: () => now });
    const client = ec2Client(emulator, { maxAttempts: 1 });
    const listed = async () => (await client.send(new DescribeInstancesCommand({}))).Reservations?.length;
    expect(await listed()).toBe(0);
    expect((await failure(client.send(new DescribeInstancesCommand({ InstanceIds: ['i-web2'] })))).name).toBe(
      'InvalidInstanceID.NotFound',
    );
    now += 1000;
    expect(await listed()).toBe(5);
    emulator.addInstance({ id: 'i-new', networkInterfaces: [{ id: 'eni-new' }] });
    expect(await listed()).toBe(5);
    expect((await failure(client.send(create('eni-new')))).name).toBe('InvalidNetworkInterfaceID.NotFound');
    now += 1000;
    await client.send(create('eni-new'));
  });
});

describe('server errors and latency', () => {
  test('the first N calls of an action fail with InternalError (500); the SDK retries them', async () => {
    emulator = await startEmulator({
      ...baseSeed(),
      faults: { serverErrors: { actions: ['CreateTrafficMirrorSession'], count: 1 } },
    });
    const once = await failure(ec2Client(emulator, { maxAttempts: 1 }).send(create('eni-web1')));
    expect(once.name).toBe('InternalError');
    expect(once.$metadata?.httpStatusCode).toBe(500);
    emulator.setFaults({ serverErrors: { actions: ['CreateTrafficMirrorSession'], count: 2 } });
    const out = await ec2Client(emulator, { maxAttempts: 3 }).send(create('eni-web1'));
    expect(out.$metadata.attempts).toBe(3);
    expect(emulator.sessions()).toHaveLength(1);
  });

  test('Unavailable (503) at a rate of 1 on the listed actions only', async () => {
    emulator = await startEmulator({
      ...baseSeed(),
      faults: { serverErrors: { actions: ['DescribeInstances'], rate: 1, code: 'Unavailable' } },
    });
    const client = ec2Client(emulator, { maxAttempts: 1 });
    const error = await failure(client.send(new DescribeInstancesCommand({})));
    expect(error.name).toBe('Unavailable');
    expect(error.$metadata?.httpStatusCode).toBe(503);
    await client.send(new DescribeTrafficMirrorSessionsCommand({}));
  });

  test('latency delays every answer', async () => {
    emulator = await startEmulator({ ...baseSeed(), faults: { latencyMs: 120 } });
    const client = ec2Client(emulator);
    const started = Date.now();
    await client.send(new DescribeInstancesCommand({}));
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
  });
});
