import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { PublishCommand } from '@aws-sdk/client-sns';
import { afterEach, expect, test } from '@jest/globals';
import { countingThrottles, countThrottles, type ThrottleCounts } from '../../src/aws/throttles.ts';
import { startEmulator, type Emulator } from '../../local/emulator/index.ts';
import { baseSeed, ec2Client, failure, snsClient } from '../emulator/fixture.ts';

/** The throttle count of src/aws/throttles.ts, on real SDK clients that the local AWS throttles. */

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

test("every throttled attempt is counted, including those the SDK's own retries hide", async () => {
  emulator = await startEmulator({ ...baseSeed(), faults: { throttle: { rate: 1, actions: ['Publish'] } } });
  const sns = countThrottles(snsClient(emulator, 3), 'sns');
  const topic = emulator.createTopic('alerts');
  let counts: ThrottleCounts = {};
  const error = await failure(
    countingThrottles(
      () => sns.send(new PublishCommand({ TopicArn: topic, Message: 'x' })),
      (c) => (counts = c),
    ),
  );
  expect(error.name).toBe('ThrottledException');
  // Three attempts, all throttled: the SDK's retries are below what the adapter sees.
  expect(counts).toEqual({ sns: 3 });
});

test('a call that succeeds on its retry still counts the attempts AWS throttled; calls that pass count nothing', async () => {
  emulator = await startEmulator({
    ...baseSeed(),
    faults: { throttle: { describe: { capacity: 1, refillPerSecond: 4 } } },
  });
  const ec2 = countThrottles(ec2Client(emulator, { maxAttempts: 5 }), 'ec2');
  let counts: ThrottleCounts = {};
  await countingThrottles(
    async () => {
      await ec2.send(new DescribeInstancesCommand({}));
      await ec2.send(new DescribeInstancesCommand({}));
    },
    (c) => (counts = c),
  );
  expect(counts.ec2).toBeGreaterThanOrEqual(1);
  let calm: ThrottleCounts = { unset: 1 };
  emulator.setFaults({});
  await countingThrottles(
    () => ec2.send(new DescribeInstancesCommand({})),
    (c) => (calm = c),
  );
  expect(calm).toEqual({});
});

test('invocations side by side keep their own counts, and a call outside any invocation is not counted', async () => {
  emulator = await startEmulator({ ...baseSeed(), faults: { throttle: { rate: 1, actions: ['Publish'] } } });
  // Installing twice must not count twice.
  const sns = countThrottles(countThrottles(snsClient(emulator, 2), 'sns'), 'sns');
  const topic = emulator.createTopic('alerts');
  const publish = () => sns.send(new PublishCommand({ TopicArn: topic, Message: 'x' })).catch(() => undefined);
  const seen: ThrottleCounts[] = [];
  await Promise.all([
    countingThrottles(publish, (c) => seen.push(c)),
    countingThrottles(
      async () => {
        await publish();
        await publish();
      },
      (c) => seen.push(c),
    ),
    publish(),
  ]);
  expect(seen.map((c) => c.sns).sort()).toEqual([2, 4]);
});
