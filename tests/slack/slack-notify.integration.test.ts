import { readFileSync } from 'node:fs';
import type { Context, SQSBatchResponse } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { createSlackNotifyHandler, type SlackNotifyDeps } from '../../functions/slack-notify.ts';
import { startEmulator, type Emulator } from '../../local/emulator/index.ts';
import type { Detection } from '../../src/detections/model.ts';
import { normalizeDetections } from '../../src/detections/normalize.ts';
import { queuedNotificationBody, type QueuedNotification } from '../../src/detections/queued-notification.ts';
import { logger } from '../../src/lambda/logger.ts';
import {
  CHANNEL_IS_ARCHIVED,
  CHANNEL_NOT_FOUND,
  INVALID_BLOCKS,
  OK,
  SERVER_ERROR,
  rateLimited,
  startFakeSlack,
  type FakeSlack,
  type SlackAnswer,
} from './fake-slack.ts';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:autotap/slack-AbCdEf';
const APPLIANCE_URL = 'https://extrahop.example.com';

const samples: Detection[] = normalizeDetections(
  JSON.parse(readFileSync(new URL('../../events/detections/extrahop-detections.json', import.meta.url), 'utf8')),
  { applianceUrl: APPLIANCE_URL },
).detections;
const highRisk = samples.find((d) => d.riskScore >= 80)!;

/** `count` distinct detections, risk spread over every band. */
function burst(count: number): Detection[] {
  return Array.from({ length: count }, (_, i) => ({
    ...highRisk,
    id: String(1_000_000 + i),
    riskScore: 1 + ((i * 37) % 99),
    severity: 1 + ((i * 37) % 99) >= 80 ? 'high' : 1 + ((i * 37) % 99) >= 31 ? 'medium' : 'low',
    modTime: highRisk.modTime + i,
    url: `${APPLIANCE_URL}/extrahop/#/detections/detail/${1_000_000 + i}`,
  }));
}

const sqsEvent = (bodies: string[]) => ({
  Records: bodies.map((body, i) => ({
    messageId: `msg-${i}`,
    receiptHandle: `rh-${i}`,
    body,
    attributes: {},
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:autotap-slack',
    awsRegion: 'us-east-1',
  })),
});

const queued = (detections: Detection[], event: QueuedNotification['event'] = 'new') =>
  detections.map((detection) => queuedNotificationBody({ detection, event, reasons: [] }));

const contextFields = {
  functionName: 'autotap-test-slackNotify',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:autotap-test-slackNotify',
  memoryLimitInMB: '256',
  awsRequestId: 'req-1',
  logGroupName: '/aws/lambda/autotap-test-slackNotify',
  logStreamName: 'test',
  callbackWaitsForEmptyEventLoop: false,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

/** Lambda's timeout for the notifier in these tests. */
const TIMEOUT_MS = 60_000;

/**
 * One invocation's context: its remaining time runs down on the clock the handler is given, as it does
 * in Lambda, so that virtual waits spend it and wall time under load does not.
 */
const invocationContext = (now: () => number = Date.now): Context => {
  const deadline = now() + TIMEOUT_MS;
  return { ...contextFields, getRemainingTimeInMillis: () => deadline - now() };
};

/** Time that passes only when the notifier sleeps: waits are asserted as times, instantly. */
function virtualClock(start = 1_750_000_000_000) {
  let now = start;
  return { now: () => now, sleep: async (ms: number) => void (now += ms) };
}

let emulator: Emulator;
let slack: FakeSlack | undefined;
let opsTopicArn: string;
let chatbotTopicArn: string;
let output: string[];

function configure(slackConfig: Record<string, unknown> = {}) {
  process.env.AUTOTAP_CONFIG = JSON.stringify({
    mirroring: { filterId: 'tmf-0f1', targets: [{ id: 'tmt-0a1' }] },
    detections: { slack: { secretArn: SECRET_ARN, ...slackConfig } },
  });
}

beforeEach(async () => {
  emulator = await startEmulator({});
  opsTopicArn = emulator.createTopic('autotap-test-ops');
  chatbotTopicArn = emulator.createTopic('autotap-test-chatbot');
  Object.assign(process.env, emulator.env(), {
    OPS_TOPIC_ARN: opsTopicArn,
    CHATBOT_TOPIC_ARN: chatbotTopicArn,
    AWS_MAX_ATTEMPTS: '1',
  });
  configure();
  output = [];
  // Everything the logger writes, whatever the level: the webhook URL must never be in it.
  logger.setLogLevel('DEBUG');
  const capture = (chunk: unknown) => {
    output.push(String(chunk));
    return true;
  };
  jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  jest.spyOn(process.stderr, 'write').mockImplementation(capture);
});

afterEach(async () => {
  jest.restoreAllMocks();
  logger.setLogLevel('SILENT');
  await slack?.close();
  slack = undefined;
  await emulator.close();
});

async function start(
  options: {
    answer?: (n: number) => SlackAnswer;
    virtual?: boolean;
    deps?: Partial<SlackNotifyDeps>;
    secret?: string;
  } = {},
) {
  const clock = options.virtual === false ? undefined : virtualClock();
  slack = await startFakeSlack({
    ...(clock ? { clock: clock.now } : {}),
    ...(options.answer ? { answer: options.answer } : {}),
  });
  const secret = options.secret ?? slack.url;
  const secretReads: string[] = [];
  const handler = createSlackNotifyHandler({
    readSecret: async (arn) => {
      secretReads.push(arn);
      return secret;
    },
    ...(clock ? { now: clock.now, sleep: clock.sleep } : {}),
    ...options.deps,
  });
  const invoke = (bodies: string[]) => handler(sqsEvent(bodies), invocationContext(clock?.now));
  return { slack, invoke, secretReads, clock };
}

const failedIds = (response: SQSBatchResponse) => response.batchItemFailures.map((f) => f.itemIdentifier);
const opsMessages = () => emulator.published().filter((m) => m.topicArn === opsTopicArn);
const logs = () => output.join('');

function expectNoSecretAnywhere(fake: FakeSlack) {
  const everything = [logs(), JSON.stringify(emulator.published())].join('\n');
  expect(everything).not.toContain(fake.secretToken);
  expect(everything).not.toContain(fake.url);
}

/** The detection ids a post names: singles by their button, roll-ups by their links. */
function namedIds(payload: { text?: string; blocks?: unknown[] }): string[] {
  return [...JSON.stringify(payload).matchAll(/detections\/detail\/(\d+)/g)]
    .map((m) => m[1]!)
    .filter((id, i, all) => all.indexOf(id) === i);
}

describe('slack-notify against a webhook', () => {
  test('a burst of 200 becomes a handful of posts, spaced by real waits, accounting for every detection', async () => {
    const { slack, invoke, secretReads } = await start({ virtual: false });
    const detections = burst(200);
    const response = await invoke(queued(detections));

    expect(response.batchItemFailures).toEqual([]);
    expect(secretReads).toEqual([SECRET_ARN]);
    expect(slack.posts.length).toBeGreaterThan(1);
    expect(slack.posts.length).toBeLessThanOrEqual(5);
    expect(slack.posts.every((p) => p.answer.status === 200 && p.contentType?.startsWith('application/json'))).toBe(
      true,
    );

    // Singles name one detection each; the roll-up counts the rest and names its top ones.
    const rollups = slack.posts.filter((p) => /^\d+ detections/.test(p.payload.text ?? ''));
    const singles = slack.posts.filter((p) => !rollups.includes(p));
    expect(rollups).toHaveLength(1);
    const singleIds = singles.map((p) => namedIds(p.payload));
    expect(singleIds.every((ids) => ids.length === 1)).toBe(true);
    const rolledUp = Number(/^(\d+) detections/.exec(rollups[0]!.payload.text!)![1]);
    expect(singles.length + rolledUp).toBe(200);
    const rollupIds = namedIds(rollups[0]!.payload);
    expect(new Set([...singleIds.flat(), ...rollupIds]).size).toBe(singleIds.length + rollupIds.length);
    expect([...singleIds.flat(), ...rollupIds].every((id) => detections.some((d) => d.id === id))).toBe(true);
    // The singles are the most urgent: every one is high risk.
    expect(singleIds.flat().every((id) => detections.find((d) => d.id === id)!.riskScore >= 80)).toBe(true);

    // Real waits: each post arrives a pacing interval after the previous one (a lower bound only).
    for (let i = 1; i < slack.posts.length; i++)
      expect(slack.posts[i]!.at - slack.posts[i - 1]!.at).toBeGreaterThanOrEqual(950);
    expectNoSecretAnywhere(slack);
  }, 30_000);

  test('429: the next post waits for Retry-After, then everything is delivered', async () => {
    const { slack, invoke } = await start({ answer: (n) => (n === 0 ? rateLimited('3') : OK) });
    const two = samples.filter((d) => d.riskScore >= 30).slice(0, 2);
    const response = await invoke(queued(two));

    expect(response.batchItemFailures).toEqual([]);
    expect(slack.posts.map((p) => p.answer.status)).toEqual([429, 200, 200]);
    expect(slack.posts[1]!.at - slack.posts[0]!.at).toBeGreaterThanOrEqual(3000);
    // The rate-limited message is the one sent again.
    expect(slack.posts[1]!.payload).toEqual(slack.posts[0]!.payload);
    expect(slack.posts[2]!.at).toBeGreaterThan(slack.posts[1]!.at);
    expect(logs()).toContain('Slack rate limit');
    expectNoSecretAnywhere(slack);
  });

  test('429 with a long Retry-After: the notifications go back to the queue and the next batch waits too', async () => {
    const { slack, invoke, clock } = await start({ answer: (n) => (n === 0 ? rateLimited('120') : OK) });
    const two = samples.filter((d) => d.riskScore >= 30).slice(0, 2);

    const first = await invoke(queued(two));
    expect(failedIds(first).sort()).toEqual(['msg-0', 'msg-1']);
    expect(slack.posts).toHaveLength(1);

    // Redelivered within the Retry-After: too long to sleep through, so handed back without a post.
    await clock!.sleep(30_000);
    const early = await invoke(queued(two));
    expect(failedIds(early).sort()).toEqual(['msg-0', 'msg-1']);
    expect(slack.posts).toHaveLength(1);

    await clock!.sleep(90_000);
    const second = await invoke(queued(two));
    expect(second.batchItemFailures).toEqual([]);
    expect(slack.posts.map((p) => p.answer.status)).toEqual([429, 200, 200]);
    expect(slack.posts[1]!.at - slack.posts[0]!.at).toBeGreaterThanOrEqual(120_000);
  });

  test('400 invalid_blocks: sent again as the text fallback alone, and reported', async () => {
    const { slack, invoke } = await start({ answer: (n) => (n === 0 ? INVALID_BLOCKS : OK) });
    const response = await invoke(queued([highRisk]));

    expect(response.batchItemFailures).toEqual([]);
    expect(slack.posts).toHaveLength(2);
    expect(slack.posts[0]!.payload.blocks?.length).toBeGreaterThan(0);
    expect(slack.posts[1]!.payload).toEqual({ text: slack.posts[0]!.payload.text });
    expect(logs()).toMatch(/Slack refused the Block Kit message.*invalid_blocks/);
    expect(slack.posts[1]!.at).toBeGreaterThan(slack.posts[0]!.at);
    expectNoSecretAnywhere(slack);
  });

  test('400 for the text too: the notification goes back to the queue (and later to the dead-letter queue)', async () => {
    const { slack, invoke } = await start({ answer: () => ({ status: 400, body: 'invalid_payload' }) });
    const response = await invoke(queued([highRisk]));
    expect(failedIds(response)).toEqual(['msg-0']);
    expect(slack.posts).toHaveLength(2);
    expect(logs()).toContain('"textOnlyAccepted":false');
  });

  test.each([
    ['404 channel_not_found', CHANNEL_NOT_FOUND],
    ['410 channel_is_archived', CHANNEL_IS_ARCHIVED],
  ])('%s: one ops message, every notification handed back, no further posts, URL never logged', async (_, answer) => {
    const { slack, invoke } = await start({ answer: () => answer });
    const response = await invoke(queued(samples.filter((d) => d.riskScore >= 30)));

    expect(slack.posts).toHaveLength(1);
    expect(failedIds(response).sort()).toEqual(['msg-0', 'msg-1', 'msg-2']);
    const ops = opsMessages();
    expect(ops).toHaveLength(1);
    expect(ops[0]!.subject).toContain(answer.body);
    expect(ops[0]!.message).toContain(SECRET_ARN);
    expect(ops[0]!.message).toMatch(/dead-letter queue/);
    expect(logs()).toContain(answer.body);

    // The same broken webhook on the next batch: handed back again, people are not told twice.
    const again = await invoke(queued([highRisk]));
    expect(failedIds(again)).toEqual(['msg-0']);
    expect(opsMessages()).toHaveLength(1);
    expectNoSecretAnywhere(slack);
  });

  test('500: handed back for a retry, nobody paged', async () => {
    const { slack, invoke } = await start({ answer: () => SERVER_ERROR });
    const response = await invoke(queued(samples.filter((d) => d.riskScore >= 30)));
    expect(failedIds(response).sort()).toEqual(['msg-0', 'msg-1', 'msg-2']);
    expect(slack.posts).toHaveLength(1);
    expect(opsMessages()).toEqual([]);
    expectNoSecretAnywhere(slack);
  });

  test('connection refused: handed back, and neither logs nor errors carry the URL', async () => {
    const { slack, invoke } = await start();
    const url = slack.url;
    const token = slack.secretToken;
    const closed = { ...slack, url, secretToken: token };
    await slack.close();
    const response = await invoke(queued([highRisk]));
    expect(failedIds(response)).toEqual(['msg-0']);
    expect(logs()).toMatch(/request failed/);
    expectNoSecretAnywhere(closed);
  });

  test('malformed bodies are acknowledged and reported; the good ones are posted', async () => {
    const { slack, invoke } = await start();
    const bodies = [
      'not json at all',
      queued([highRisk])[0]!,
      JSON.stringify({ detection: { ...highRisk, riskScore: 'high' }, event: 'new', reasons: [] }),
      JSON.stringify({ event: 'escalated' }),
      JSON.stringify({ detection: highRisk, event: 'stale', reasons: [] }),
    ];
    const response = await invoke(bodies);

    expect(response.batchItemFailures).toEqual([]);
    expect(slack.posts).toHaveLength(1);
    expect(namedIds(slack.posts[0]!.payload)).toEqual([highRisk.id]);
    const ops = opsMessages();
    expect(ops).toHaveLength(1);
    expect(ops[0]!.subject).toContain('4 malformed');
    for (const id of ['msg-0', 'msg-2', 'msg-3', 'msg-4']) expect(ops[0]!.message).toContain(id);
    expect(ops[0]!.message).toContain('detection.riskScore');
    expect(logs()).toContain('malformed Slack queue messages');
  });

  test('minRiskScore: lower-risk notifications are acknowledged without a post', async () => {
    configure({ minRiskScore: 80 });
    const { slack, invoke } = await start();
    const response = await invoke(queued(samples));
    expect(response.batchItemFailures).toEqual([]);
    const posted = slack.posts.flatMap((p) => namedIds(p.payload));
    expect(posted.sort()).toEqual(
      samples
        .filter((d) => d.riskScore >= 80)
        .map((d) => d.id)
        .sort(),
    );
    expect(posted.length).toBeLessThan(samples.length);
  });

  test('the secret may be JSON {"webhookUrl": ...}', async () => {
    const fake = await startFakeSlack();
    slack = fake;
    const clock = virtualClock();
    const handler = createSlackNotifyHandler({
      readSecret: async () => JSON.stringify({ webhookUrl: fake.url }),
      ...clock,
    });
    const response = await handler(sqsEvent(queued([highRisk])), invocationContext(clock.now));
    expect(response.batchItemFailures).toEqual([]);
    expect(fake.posts).toHaveLength(1);
    expect(fake.posts[0]!.path).toContain(fake.secretToken);
  });

  test('a secret that is not an https URL fails the invocation without echoing it', async () => {
    const secret = 'http://hooks.slack.example.com/services/T1/B1/leakyTokenValue';
    const clock = virtualClock();
    const handler = createSlackNotifyHandler({ readSecret: async () => secret, ...clock });
    const error = await (handler(sqsEvent(queued([highRisk])), invocationContext(clock.now)) as Promise<unknown>).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.name).toBe('InvalidWebhookSecret');
    expect(`${error?.message}\n${error?.stack}`).not.toContain('leakyTokenValue');
    expect(logs()).toContain('invocation failed');
    expect(logs()).not.toContain('leakyTokenValue');
  });
});

describe('slack-notify in Amazon Q format', () => {
  test('publishes custom notifications to the Chatbot topic, nothing to a webhook', async () => {
    configure({ format: 'amazon-q' });
    const { slack, invoke, secretReads } = await start();
    const notified = samples.filter((d) => d.riskScore >= 30);
    const response = await invoke(queued(notified, 'escalated'));

    expect(response.batchItemFailures).toEqual([]);
    expect(slack.posts).toEqual([]);
    expect(secretReads).toEqual([]);
    const published = emulator.published().filter((m) => m.topicArn === chatbotTopicArn);
    expect(published).toHaveLength(notified.length);
    const messages = published.map(
      (m) =>
        JSON.parse(m.message) as {
          version: string;
          source: string;
          content: { title: string };
          metadata: { threadId: string };
        },
    );
    expect(messages.every((m) => m.version === '1.0' && m.source === 'custom')).toBe(true);
    expect(messages.map((m) => m.metadata.threadId).sort()).toEqual(
      notified.map((d) => `autotap-detection-${d.id}`).sort(),
    );
    expect(messages.every((m) => m.content.title.startsWith('[ESCALATED'))).toBe(true);
  });

  test('a publish that fails hands that notification back', async () => {
    configure({ format: 'amazon-q' });
    let calls = 0;
    const { invoke } = await start({
      deps: {
        publish: async () => {
          if (calls++ === 1) throw Object.assign(new Error('throttled'), { name: 'Throttling' });
          return 'id';
        },
      },
    });
    const response = await invoke(queued(samples.filter((d) => d.riskScore >= 30)));
    expect(failedIds(response)).toEqual(['msg-1']);
  });
});
