import { ConfigError } from '../config/error.ts';
import type { MetricPoint } from '../observability/metrics.ts';
import { slackMetrics } from './metrics.ts';
import { describeThrown } from '../thrown.ts';
import type { DetectionsConfig } from '../config/schema.ts';
import { readQueuedNotification, toPending } from './queued-notification.ts';
import { renderAmazonQ } from './render-slack.ts';
import {
  deliverToSlack,
  type DeliveryProblem,
  type QueuedItem,
  type SlackDeliveryReport,
  type SlackPostResult,
} from './slack-delivery.ts';
import { POSTER_MIN_INTERVAL_MS } from './slack-pacing.ts';

/**
 * The Slack notifier: one batch of the Slack queue read, posted to the webhook (or published for
 * Amazon Q Developer in chat applications), and what went wrong told to the logs and to people. The
 * webhook, the topics and the log are ports, so that every decision here runs without a network.
 */

/** A queue message: the id the partial batch response names, and its body. */
export interface SlackQueueMessage {
  messageId: string;
  body: string;
}

export interface MalformedMessage {
  messageId: string;
  error: string;
}

/** A batch sorted: what to post, what cannot be read, and how many are below Slack's threshold. */
export interface SlackBatch {
  items: QueuedItem[];
  malformed: MalformedMessage[];
  belowMinimum: number;
}

/** What people are told on the ops topic; `key` names the problem, so the same one is not repeated. */
export interface OpsAlert {
  key: string;
  subject: string;
  message: string;
}

type Fields = Record<string, unknown>;

/** A log line: the notifier decides what is worth which level, the port writes it. */
export interface Notice {
  level: 'info' | 'warn' | 'error';
  text: string;
  fields: Fields;
}

/** The same problem is reported to people at most this often per container. */
export const OPS_REPEAT_MS = 60 * 60 * 1000;
/** Malformed messages named in one report (and one log line); the rest are counted. */
export const MAX_LISTED_MALFORMED = 20;

/** Splits a batch into notifications to post, bodies that cannot be read, and those below `minRiskScore`. */
export function sortSlackBatch(messages: readonly SlackQueueMessage[], minRiskScore?: number): SlackBatch {
  const batch: SlackBatch = { items: [], malformed: [], belowMinimum: 0 };
  for (const { messageId, body } of messages) {
    const reading = readQueuedNotification(body);
    if (!reading.ok) batch.malformed.push({ messageId, error: reading.error });
    else if (minRiskScore !== undefined && reading.notification.detection.riskScore < minRiskScore)
      batch.belowMinimum++;
    else batch.items.push({ itemIdentifier: messageId, notification: toPending(reading.notification) });
  }
  return batch;
}

/** The ops report about queue messages acknowledged without a post because they cannot be read. */
export function malformedAlert(malformed: readonly MalformedMessage[], functionName: string): OpsAlert {
  const listed = malformed.slice(0, MAX_LISTED_MALFORMED);
  const more = malformed.length - listed.length;
  return {
    key: 'malformed',
    subject: `[autotap] ${malformed.length} malformed Slack notification(s) dropped`,
    message: [
      `${functionName} received queue messages it cannot read; they were acknowledged and not posted:`,
      ...listed.map((m) => `  ${m.messageId}: ${m.error}`),
      ...(more > 0 ? [`  ... and ${more} more (see the function's logs)`] : []),
      '',
      'Whatever writes to the Slack queue sends a body other than {"detection": ..., "event": "new"|"escalated"|"closed", "reasons": [...]}.',
    ].join('\n'),
  };
}

/** The ops report about a webhook Slack refuses for good (deleted or archived channel, revoked app). */
export function webhookRefusedAlert(
  refusal: { status: number; error: string },
  where: { secretArn: string; functionName: string },
  handedBack: number,
): OpsAlert {
  return {
    key: `webhook:${refusal.status}:${refusal.error}`,
    subject: `[autotap] Slack notifications stopped: ${refusal.status} ${refusal.error}`,
    message: [
      `Slack refused the incoming webhook stored in ${where.secretArn} with HTTP ${refusal.status} (${refusal.error}).`,
      'The channel may have been deleted or archived, or the webhook revoked (the app removed from the workspace).',
      '',
      `${handedBack} detection notification(s) went back to the queue. After the queue's maxReceiveCount they move to its`,
      'dead-letter queue: nothing is lost, they wait there until redriven.',
      '',
      'To fix: create a new incoming webhook for the channel in Slack, store its URL in the secret above',
      '(plain URL or {"webhookUrl": "..."}), then redrive the dead-letter queue to its source queue.',
      '',
      `Reported by ${where.functionName}. This report repeats at most hourly while the problem lasts.`,
    ].join('\n'),
  };
}

/** How a delivery problem is logged; only a webhook refused for good needs a person (see webhookRefusedAlert). */
export function problemNotice(problem: DeliveryProblem, handedBack: number): Notice {
  switch (problem.kind) {
    case 'rate-limited':
      return {
        level: 'warn',
        text: 'Slack rate limit',
        fields: { retryAfter: problem.retryAfter, resumeAt: new Date(problem.resumeAt).toISOString() },
      };
    case 'rejected-payload':
      // A rendering Slack refuses is a defect to fix, but the text still reached the channel.
      return {
        level: 'warn',
        text: 'Slack refused the Block Kit message; sent its text alone',
        fields: { status: problem.status, slackError: problem.error, textOnlyAccepted: problem.textOnlyAccepted },
      };
    case 'transient':
      return {
        level: 'warn',
        text: 'Slack webhook unavailable; notifications handed back to the queue',
        fields: { status: problem.status, slackError: problem.error, handedBack },
      };
    case 'out-of-time':
      return {
        level: 'warn',
        text: 'out of time for pacing; notifications handed back to the queue',
        fields: { remainingMs: problem.remainingMs, handedBack },
      };
    case 'needs-human':
      return {
        level: 'error',
        text: 'Slack webhook refused by Slack; it needs someone to fix it',
        fields: { status: problem.status, slackError: problem.error, handedBack },
      };
  }
}

/** The counts logged after each webhook delivery. */
export function deliverySummary(report: SlackDeliveryReport): Fields {
  return {
    posts: report.posts.length,
    rollups: report.posts.filter((p) => p.kind === 'rollup').length,
    delivered: report.posts.reduce((n, p) => n + p.itemIdentifiers.length, 0),
    textOnly: report.posts.filter((p) => p.textOnly).length,
    handedBack: report.failed.length,
  };
}

/** Remembers when each problem was last reported, so that people hear of it at most once per interval. */
export class OpsThrottle {
  readonly #lastReported = new Map<string, number>();

  readonly #now: () => number;
  readonly #repeatMs: number;

  constructor(now: () => number, repeatMs = OPS_REPEAT_MS) {
    this.#now = now;
    this.#repeatMs = repeatMs;
  }

  due(key: string): boolean {
    const last = this.#lastReported.get(key);
    return last === undefined || this.#now() - last >= this.#repeatMs;
  }

  /** Only a report that went out counts: one that failed is tried again next time. */
  reported(key: string): void {
    this.#lastReported.set(key, this.#now());
  }
}

/** Lends the webhook a secret names to `use`; the adapter keeps its URL out of everything `use` throws. */
export type WithWebhook = <T>(
  secretArn: string,
  use: (post: (payload: unknown) => Promise<SlackPostResult>) => Promise<T>,
) => Promise<T>;

export interface SlackNotifierPorts {
  withWebhook: WithWebhook;
  /** Publishes one message to an SNS topic (here the one Amazon Q Developer in chat applications subscribes to). */
  publish(topicArn: string, subject: string, message: string): Promise<unknown>;
  /** Publishes a report to the ops topic; false when it could not (the port logs why). */
  tellOps(report: { subject: string; message: string }): Promise<boolean>;
  log(notice: Notice): void;
  /** Writes the batch's metrics (SlackRateLimited, SlackHandedBack). */
  measure(points: MetricPoint[]): void;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

/** One invocation: where it posts, and the time it has left. */
export interface SlackInvocation {
  slack: NonNullable<DetectionsConfig['slack']>;
  /** For the amazon-q format: the topic Amazon Q Developer in chat applications subscribes to. */
  amazonQTopicArn?: string;
  functionName: string;
  remainingMs: () => number;
}

/** Publishes one custom notification per item (Amazon Q threads them by detection; it has no roll-up); returns those handed back. */
export async function publishForAmazonQ(
  items: readonly QueuedItem[],
  topicArn: string,
  ports: Pick<SlackNotifierPorts, 'publish' | 'log'>,
): Promise<string[]> {
  const failed: string[] = [];
  for (const { itemIdentifier, notification } of items) {
    const message = renderAmazonQ(notification.detection, notification.event);
    try {
      await ports.publish(topicArn, message.content.title, JSON.stringify(message));
    } catch (error) {
      ports.log({
        level: 'warn',
        text: 'could not publish to the Amazon Q topic; handed back to the queue',
        fields: { itemIdentifier, errorName: describeThrown(error).name },
      });
      failed.push(itemIdentifier);
    }
  }
  ports.log({
    level: 'info',
    text: 'Amazon Q delivery',
    fields: { published: items.length - failed.length, handedBack: failed.length },
  });
  return failed;
}

/**
 * The notifier of one container. It keeps two things between batches: when it may post next (the
 * pacing carries over, and a new container, not knowing when the one before it last posted, waits
 * one interval before its first post so that two posters never post more than twice in that time),
 * and which problems people were told of in the last hour.
 */
export function createSlackNotifier(ports: SlackNotifierPorts) {
  let notBefore: number | undefined;
  const throttle = new OpsThrottle(ports.now);

  async function alert(report: OpsAlert): Promise<void> {
    if (!throttle.due(report.key)) return;
    if (await ports.tellOps(report)) throttle.reported(report.key);
  }

  async function postToWebhook(items: QueuedItem[], invocation: SlackInvocation): Promise<string[]> {
    const report = await ports.withWebhook(invocation.slack.secretArn, (post) =>
      deliverToSlack(
        items,
        { post, sleep: ports.sleep, now: ports.now, remainingMs: invocation.remainingMs },
        { notBefore: notBefore ?? ports.now() + POSTER_MIN_INTERVAL_MS },
      ),
    );
    notBefore = report.notBefore;
    const handedBack = report.failed.length;
    for (const problem of report.problems) {
      ports.log(problemNotice(problem, handedBack));
      if (problem.kind === 'needs-human')
        await alert(
          webhookRefusedAlert(
            problem,
            { secretArn: invocation.slack.secretArn, functionName: invocation.functionName },
            handedBack,
          ),
        );
    }
    ports.log({ level: 'info', text: 'Slack delivery', fields: deliverySummary(report) });
    ports.measure(slackMetrics(report));
    return report.failed;
  }

  /** Notifies one batch; returns the message ids to hand back to the queue. */
  async function notify(messages: readonly SlackQueueMessage[], invocation: SlackInvocation): Promise<string[]> {
    const { slack } = invocation;
    const batch = sortSlackBatch(messages, slack.minRiskScore);
    if (batch.belowMinimum > 0) {
      ports.log({
        level: 'info',
        text: 'below the Slack minRiskScore; acknowledged without posting',
        fields: { count: batch.belowMinimum, minRiskScore: slack.minRiskScore },
      });
    }
    if (batch.malformed.length > 0) {
      // Redelivering cannot fix a body: acknowledge it, and say so where people look.
      ports.log({
        level: 'error',
        text: 'malformed Slack queue messages acknowledged without posting',
        fields: { count: batch.malformed.length, malformed: batch.malformed.slice(0, MAX_LISTED_MALFORMED) },
      });
      await alert(malformedAlert(batch.malformed, invocation.functionName));
    }
    if (batch.items.length === 0) return [];
    if (slack.format !== 'amazon-q') return postToWebhook(batch.items, invocation);
    if (!invocation.amazonQTopicArn)
      throw new ConfigError(
        'the amazon-q format needs the topic Amazon Q Developer in chat applications subscribes to',
      );
    const failed = await publishForAmazonQ(batch.items, invocation.amazonQTopicArn, ports);
    ports.measure(slackMetrics({ failed }));
    return failed;
  }

  return { notify };
}
