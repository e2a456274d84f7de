import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { createSlackNotifyHandler } from '../../functions/slack-notify.ts';
import { runSqsEventSource, type EventSourceSettings } from '../../local/emulator/sqs-event-source.ts';
import { Queues } from '../../local/emulator/sqs.ts';
import { VirtualTime } from '../../local/emulator/virtual-time.ts';
import { detectionFunctions, detectionResources } from '../../deploy/stage-config.ts';
import { parseConfig } from '../../src/config/load.ts';
import type { Detection } from '../../src/detections/model.ts';
import { normalizeDetections } from '../../src/detections/normalize.ts';
import { queuedNotificationBody } from '../../src/detections/queued-notification.ts';
import { logger } from '../../src/lambda/logger.ts';
import { startFakeSlack, type FakeSlack } from './fake-slack.ts';

/**
 * The Slack queue, its event source mapping and the notifier as the stack configures them, run on
 * the emulator's SQS with a model of Lambda's SQS pollers (local/emulator/sqs-event-source.ts), in
 * virtual time: hours of redelivery take seconds. A notification may reach the dead-letter queue
 * only after the notifier was given it; never because the mapping was throttled.
 */

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:autotap/slack-AbCdEf';
const STAGE = 'test';
const config = parseConfig({
  mirroring: { filterId: 'tmf-0f1', targets: [{ id: 'tmt-0a1' }] },
  detections: { slack: { secretArn: SECRET_ARN } },
});

/** The notifier's event source, queue and dead-letter settings, read from what the stack deploys. */
function deployedSettings(): EventSourceSettings & { visibilityTimeoutSeconds: number; maxReceiveCount: number } {
  const notifier = detectionFunctions(config, STAGE).slackNotify as {
    timeout: number;
    reservedConcurrency?: number;
    events: { sqs: { batchSize: number; maximumBatchingWindow: number; maximumConcurrency: number } }[];
  };
  const queue = detectionResources(config, STAGE).Resources.SlackQueue!.Properties as {
    VisibilityTimeout: number;
    RedrivePolicy: { maxReceiveCount: number };
  };
  const sqs = notifier.events[0]!.sqs;
  return {
    batchSize: sqs.batchSize,
    maximumBatchingWindowSeconds: sqs.maximumBatchingWindow,
    maximumConcurrency: sqs.maximumConcurrency,
    ...(notifier.reservedConcurrency === undefined ? {} : { reservedConcurrency: notifier.reservedConcurrency }),
    functionTimeoutSeconds: notifier.timeout,
    visibilityTimeoutSeconds: queue.VisibilityTimeout,
    maxReceiveCount: queue.RedrivePolicy.maxReceiveCount,
  };
}

const sample = normalizeDetections(
  JSON.parse(readFileSync(new URL('../../events/detections/extrahop-detections.json', import.meta.url), 'utf8')),
  {
    applianceUrl: 'https://extrahop.example.com',
  },
).detections.find((d) => d.riskScore >= 80)!;

const burst = (count: number): Detection[] =>
  Array.from({ length: count }, (_, i) => ({
    ...sample,
    id: String(2_000_000 + i),
    riskScore: 30 + (i % 70),
    modTime: sample.modTime + i,
  }));

let slack: FakeSlack | undefined;
beforeEach(() => {
  process.env.AUTOTAP_CONFIG = JSON.stringify(config);
  logger.setLogLevel('SILENT');
  // The notifier logs each delivery: thousands of lines of no interest here.
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
});
afterEach(async () => {
  jest.restoreAllMocks();
  await slack?.close();
  slack = undefined;
});

async function deliverBurst(settings: ReturnType<typeof deployedSettings>, count: number, reuseContainers = true) {
  const time = new VirtualTime();
  slack = await startFakeSlack({ clock: time.now });
  const fake = slack;
  const queues = new Queues(time.now);
  const queue = queues.create('autotap-test-slack', settings.visibilityTimeoutSeconds);
  const deadLetters = queues.create('autotap-test-slack-dlq');
  queues.setRedrivePolicy(queue, deadLetters, settings.maxReceiveCount);
  const bodyOf = new Map<string, string>();
  for (const detection of burst(count)) {
    const message = queues.send(queue, queuedNotificationBody({ detection, event: 'new', reasons: [] }));
    bodyOf.set(message.messageId, message.body);
  }
  const report = await runSqsEventSource({
    queues,
    queue,
    settings,
    clock: time,
    finished: () => queue.messages.length === 0,
    newContainer: () =>
      createSlackNotifyHandler({
        readSecret: async () => fake.url,
        now: time.now,
        sleep: time.sleep,
        publish: async () => 'ops-message-id',
      }) as never,
    functionName: 'autotap-test-slackNotify',
    reuseContainers,
  });
  const tried = new Set([...report.tried].map((id) => bodyOf.get(id)));
  const untriedDeadLetters = deadLetters.messages.filter((m) => !tried.has(m.body));
  return {
    report,
    deadLetters: deadLetters.messages,
    untriedDeadLetters,
    posts: fake.posts,
    elapsedMs: time.now() - 1_750_000_000_000,
  };
}

describe('Slack delivery under the event source mapping the stack deploys', () => {
  test('a burst of 1,000 is all posted: no batch is throttled, nothing reaches the dead-letter queue', async () => {
    const settings = deployedSettings();
    // Reserved concurrency at least the mapping's MaximumConcurrency, as AWS asks.
    expect(settings.reservedConcurrency ?? Infinity).toBeGreaterThanOrEqual(settings.maximumConcurrency);
    const { report, deadLetters, posts } = await deliverBurst(settings, 1_000);

    expect(report.throttledBatches).toBe(0);
    expect(report.tried.size).toBe(1_000);
    expect(report.deleted).toBe(1_000);
    expect(deadLetters).toEqual([]);
    // Two posters at once, each to its own pace: never more than two posts within 2 s, so the
    // webhook sees at most one message a second on average.
    expect(posts.length).toBeGreaterThan(0);
    for (let i = 2; i < posts.length; i++) expect(posts[i]!.at - posts[i - 2]!.at).toBeGreaterThanOrEqual(2_000);
    expect(posts.every((p) => p.answer.status === 200)).toBe(true);
  }, 60_000);

  test('the pace holds when Lambda starts a new container for every batch (no pacing state carried over)', async () => {
    const { report, deadLetters, posts } = await deliverBurst(deployedSettings(), 1_000, false);
    expect(report.throttledBatches).toBe(0);
    expect(deadLetters).toEqual([]);
    for (let i = 2; i < posts.length; i++) expect(posts[i]!.at - posts[i - 2]!.at).toBeGreaterThanOrEqual(2_000);
  }, 60_000);

  test('the model catches the defect: reserved concurrency below MaximumConcurrency parks notifications untried', async () => {
    const settings = { ...deployedSettings(), reservedConcurrency: 1 };
    // One batch runs while the other poller receives the rest and is throttled, receive after receive.
    const { report, untriedDeadLetters, elapsedMs } = await deliverBurst(settings, 3_000);

    expect(report.throttledBatches).toBeGreaterThan(0);
    expect(untriedDeadLetters.length).toBeGreaterThan(0);
    // They were received maxReceiveCount times over hours, each time throttled.
    expect(elapsedMs).toBeGreaterThanOrEqual((settings.maxReceiveCount - 1) * settings.visibilityTimeoutSeconds * 1000);
  }, 60_000);
});
