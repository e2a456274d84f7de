import { describe, expect, test } from '@jest/globals';
import type { Detection } from '../../src/detections/model.ts';
import type { MetricPoint } from '../../src/observability/metrics.ts';
import { queuedNotificationBody } from '../../src/detections/queued-notification.ts';
import type { SlackPostResult } from '../../src/detections/slack-delivery.ts';
import { POSTER_MIN_INTERVAL_MS } from '../../src/detections/slack-pacing.ts';
import {
  MAX_LISTED_MALFORMED,
  OPS_REPEAT_MS,
  OpsThrottle,
  createSlackNotifier,
  malformedAlert,
  problemNotice,
  sortSlackBatch,
  webhookRefusedAlert,
  type Notice,
  type SlackInvocation,
  type SlackNotifierPorts,
} from '../../src/detections/slack-notifier.ts';
import { RDP_BRUTE_FORCE, sample } from './fixtures/samples.ts';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:autotap/slack-AbCdEf';
const AMAZON_Q_TOPIC = 'arn:aws:sns:us-east-1:123456789012:autotap-chatbot';
const START = 1_750_000_000_000;

const detection = (id: number, riskScore = 90): Detection => ({
  ...sample(RDP_BRUTE_FORCE),
  id: String(id),
  riskScore,
  modTime: START + id,
});
const message = (id: number, riskScore = 90) => ({
  messageId: `m-${id}`,
  body: queuedNotificationBody({ detection: detection(id, riskScore), event: 'new', reasons: [] }),
});

/** In-memory ports: a virtual clock, a webhook answering from a script, topics and a log that record. */
function fakePorts(
  answers: (n: number) => SlackPostResult = () => ({ kind: 'ok' }),
  opsAnswer: () => boolean = () => true,
) {
  let now = START;
  const posts: { at: number; payload: unknown }[] = [];
  const published: { topicArn: string; subject: string; message: string }[] = [];
  const ops: { subject: string; message: string }[] = [];
  const notices: Notice[] = [];
  const measured: MetricPoint[] = [];
  const ports: SlackNotifierPorts = {
    withWebhook: async (secretArn, use) => {
      expect(secretArn).toBe(SECRET_ARN);
      return use(async (payload) => {
        posts.push({ at: now, payload });
        return answers(posts.length);
      });
    },
    publish: async (topicArn, subject, body) => {
      if (subject.includes('fail')) throw Object.assign(new Error('no'), { name: 'InternalError' });
      published.push({ topicArn, subject, message: body });
    },
    tellOps: async (report) => {
      const ok = opsAnswer();
      if (ok) ops.push(report);
      return ok;
    },
    log: (notice) => notices.push(notice),
    measure: (points) => measured.push(...points),
    sleep: async (ms) => void (now += ms),
    now: () => now,
  };
  const advance = (ms: number) => void (now += ms);
  return { ports, posts, published, ops, notices, measured, advance, now: () => now };
}

const invocation = (slack: Partial<SlackInvocation['slack']> = {}, amazonQTopicArn?: string): SlackInvocation => ({
  slack: { secretArn: SECRET_ARN, format: 'block-kit', ...slack },
  ...(amazonQTopicArn ? { amazonQTopicArn } : {}),
  functionName: 'autotap-test-slackNotify',
  remainingMs: () => 60_000,
});

describe('sortSlackBatch', () => {
  test('posts what it can read, counts what is below the threshold, names what it cannot read', () => {
    const batch = sortSlackBatch(
      [
        message(1, 90),
        { messageId: 'bad', body: '{"detection": {}}' },
        message(2, 40),
        { messageId: 'not-json', body: 'x' },
      ],
      50,
    );
    expect(batch.items.map((i) => i.itemIdentifier)).toEqual(['m-1']);
    expect(batch.items[0]!.notification).toEqual({
      detection: expect.objectContaining({ id: '1', riskScore: 90 }),
      event: 'new',
    });
    expect(batch.belowMinimum).toBe(1);
    expect(batch.malformed).toEqual([
      { messageId: 'bad', error: expect.stringContaining('detection.id') },
      { messageId: 'not-json', error: '(root): not valid JSON' },
    ]);
  });

  test('without a threshold every readable notification is posted', () => {
    expect(sortSlackBatch([message(1, 1), message(2, 99)]).items).toHaveLength(2);
  });
});

describe('ops reports', () => {
  test('malformed messages: the first ones named, the rest counted', () => {
    const malformed = Array.from({ length: MAX_LISTED_MALFORMED + 3 }, (_, i) => ({
      messageId: `m-${i}`,
      error: `(root): broken ${i}`,
    }));
    const alert = malformedAlert(malformed, 'autotap-dev-slackNotify');
    expect(alert.subject).toBe(`[autotap] ${MAX_LISTED_MALFORMED + 3} malformed Slack notification(s) dropped`);
    expect(alert.message).toContain('autotap-dev-slackNotify received queue messages');
    expect(alert.message).toContain(`  m-${MAX_LISTED_MALFORMED - 1}: (root): broken ${MAX_LISTED_MALFORMED - 1}`);
    expect(alert.message).not.toContain(`m-${MAX_LISTED_MALFORMED}:`);
    expect(alert.message).toContain("... and 3 more (see the function's logs)");
  });

  test('a refused webhook: one key per status and error, the secret named, how to fix it', () => {
    const alert = webhookRefusedAlert(
      { status: 410, error: 'channel_is_archived' },
      { secretArn: SECRET_ARN, functionName: 'fn' },
      7,
    );
    expect(alert.key).toBe('webhook:410:channel_is_archived');
    expect(alert.subject).toBe('[autotap] Slack notifications stopped: 410 channel_is_archived');
    expect(alert.message).toContain(`stored in ${SECRET_ARN} with HTTP 410`);
    expect(alert.message).toContain('7 detection notification(s) went back to the queue');
    expect(alert.message).toContain('redrive the dead-letter queue');
  });

  test('only a webhook refused for good is logged as an error; passing troubles are warnings', () => {
    expect(problemNotice({ kind: 'needs-human', status: 404, error: 'channel_not_found' }, 3)).toMatchObject({
      level: 'error',
      fields: { handedBack: 3 },
    });
    expect(problemNotice({ kind: 'transient', status: 500, error: 'boom' }, 3).level).toBe('warn');
    expect(problemNotice({ kind: 'out-of-time', remainingMs: 10 }, 3).level).toBe('warn');
    expect(problemNotice({ kind: 'rate-limited', retryAfter: '30', resumeAt: START }, 0)).toMatchObject({
      level: 'warn',
      fields: { resumeAt: new Date(START).toISOString() },
    });
    expect(
      problemNotice({ kind: 'rejected-payload', status: 400, error: 'invalid_blocks', textOnlyAccepted: true }, 0)
        .level,
    ).toBe('warn');
  });
});

describe('OpsThrottle', () => {
  test('a problem is due again only after the repeat interval', () => {
    let now = START;
    const throttle = new OpsThrottle(() => now);
    expect(throttle.due('a')).toBe(true);
    throttle.reported('a');
    now += OPS_REPEAT_MS - 1;
    expect(throttle.due('a')).toBe(false);
    expect(throttle.due('b')).toBe(true);
    now += 1;
    expect(throttle.due('a')).toBe(true);
  });
});

describe('createSlackNotifier', () => {
  test('a new container waits one interval before its first post; the next batch keeps the pace', async () => {
    const fake = fakePorts();
    const notifier = createSlackNotifier(fake.ports);
    expect(await notifier.notify([message(1)], invocation())).toEqual([]);
    expect(fake.posts.map((p) => p.at)).toEqual([START + POSTER_MIN_INTERVAL_MS]);
    await notifier.notify([message(2)], invocation());
    expect(fake.posts[1]!.at - fake.posts[0]!.at).toBe(POSTER_MIN_INTERVAL_MS);
    expect(fake.notices.filter((n) => n.text === 'Slack delivery').map((n) => n.fields)).toEqual([
      { posts: 1, rollups: 0, delivered: 1, textOnly: 0, handedBack: 0 },
      { posts: 1, rollups: 0, delivered: 1, textOnly: 0, handedBack: 0 },
    ]);
  });

  test("the batch's metrics: Slack's 429s, and what went back to the queue", async () => {
    const fake = fakePorts((n) => (n <= 2 ? { kind: 'rate-limited', status: 429, retryAfter: '1' } : { kind: 'ok' }));
    const notifier = createSlackNotifier(fake.ports);
    expect(await notifier.notify([message(1)], invocation())).toEqual([]);
    expect(fake.measured).toEqual([
      { name: 'SlackRateLimited', values: [2] },
      { name: 'SlackHandedBack', values: [0] },
    ]);
    const refused = fakePorts(() => ({ kind: 'needs-human', status: 410, error: 'channel_is_archived' }));
    await createSlackNotifier(refused.ports).notify([message(1), message(2)], invocation());
    expect(refused.measured).toEqual([{ name: 'SlackHandedBack', values: [2] }]);
  });

  test('a webhook refused for good: handed back, people told once an hour, not once a batch', async () => {
    const fake = fakePorts(() => ({ kind: 'needs-human', status: 404, error: 'channel_not_found' }));
    const notifier = createSlackNotifier(fake.ports);
    expect((await notifier.notify([message(1), message(2)], invocation())).sort()).toEqual(['m-1', 'm-2']);
    expect(await notifier.notify([message(3)], invocation())).toEqual(['m-3']);
    expect(fake.ops.map((o) => o.subject)).toEqual(['[autotap] Slack notifications stopped: 404 channel_not_found']);
    expect(fake.notices.filter((n) => n.level === 'error')).toHaveLength(2);
    fake.advance(OPS_REPEAT_MS);
    await notifier.notify([message(4)], invocation());
    expect(fake.ops).toHaveLength(2);
  });

  test('a report that could not be published is tried again with the next batch', async () => {
    let opsUp = false;
    const fake = fakePorts(undefined, () => opsUp);
    const notifier = createSlackNotifier(fake.ports);
    await notifier.notify([{ messageId: 'bad', body: '{}' }], invocation());
    opsUp = true;
    await notifier.notify([{ messageId: 'bad-2', body: '{}' }], invocation());
    expect(fake.ops.map((o) => o.subject)).toEqual(['[autotap] 1 malformed Slack notification(s) dropped']);
  });

  test('malformed and below-threshold messages are acknowledged without a post, and said so', async () => {
    const fake = fakePorts();
    const notifier = createSlackNotifier(fake.ports);
    expect(
      await notifier.notify([{ messageId: 'bad', body: 'x' }, message(1, 35)], invocation({ minRiskScore: 50 })),
    ).toEqual([]);
    expect(fake.posts).toEqual([]);
    expect(fake.notices.map((n) => [n.level, n.text])).toEqual([
      ['info', 'below the Slack minRiskScore; acknowledged without posting'],
      ['error', 'malformed Slack queue messages acknowledged without posting'],
    ]);
    expect(fake.ops).toHaveLength(1);
  });

  test('amazon-q: one custom notification per detection on its topic; a failed publish hands that one back', async () => {
    const fake = fakePorts();
    const notifier = createSlackNotifier(fake.ports);
    const failing = {
      messageId: 'm-fail',
      body: queuedNotificationBody({ detection: { ...detection(9), title: 'will fail' }, event: 'new', reasons: [] }),
    };
    expect(
      await notifier.notify([message(1), failing, message(2)], invocation({ format: 'amazon-q' }, AMAZON_Q_TOPIC)),
    ).toEqual(['m-fail']);
    expect(fake.posts).toEqual([]);
    expect(fake.published.map((p) => p.topicArn)).toEqual([AMAZON_Q_TOPIC, AMAZON_Q_TOPIC]);
    expect(JSON.parse(fake.published[0]!.message)).toMatchObject({
      version: '1.0',
      source: 'custom',
      metadata: { threadId: expect.any(String) },
    });
    expect(fake.notices.at(-1)).toEqual({
      level: 'info',
      text: 'Amazon Q delivery',
      fields: { published: 2, handedBack: 1 },
    });
    expect(fake.measured).toEqual([{ name: 'SlackHandedBack', values: [1] }]);
  });

  test('amazon-q without its topic fails the invocation rather than dropping the notifications', async () => {
    const notifier = createSlackNotifier(fakePorts().ports);
    await expect(notifier.notify([message(1)], invocation({ format: 'amazon-q' }))).rejects.toMatchObject({
      name: 'ConfigError',
    });
  });
});
