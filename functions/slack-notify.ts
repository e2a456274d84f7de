import { setTimeout as sleep } from 'node:timers/promises';
import type { Context, SQSBatchResponse } from 'aws-lambda';
import * as z from 'zod/mini';
import { getSecretString } from '../src/aws/secrets.ts';
import { publish } from '../src/aws/sns.ts';
import { detectionsSection } from '../src/config/environment.ts';
import { ConfigError } from '../src/config/error.ts';
import { readQueuedNotification, toPending } from '../src/detections/queued-notification.ts';
import { renderAmazonQ } from '../src/detections/render-slack.ts';
import { deliverToSlack, type DeliveryProblem, type QueuedItem } from '../src/detections/slack-delivery.ts';
import { POSTER_MIN_INTERVAL_MS } from '../src/detections/slack-pacing.ts';
import { lambdaHandler } from '../src/lambda/handler.ts';
import { logger } from '../src/lambda/logger.ts';
import { postToWebhook, readWebhookSecret, redactWebhookUrl } from '../src/slack/webhook.ts';
import { parseOrThrow } from '../src/validation.ts';

/**
 * SQS-triggered: posts queued detection notifications to Slack. At most SLACK_CONCURRENT_POSTERS
 * invocations run at once (the event source's maximum concurrency, matched by the reserved
 * concurrency so that none is throttled), each pacing itself to its share of the webhook's rate.
 * Returns a partial batch response: what Slack did not take goes back to the queue, and after
 * maxReceiveCount receives into its dead-letter queue.
 */

export class InvalidSqsEvent extends Error {
  override name = 'InvalidSqsEvent';
}

const sqsEventSchema = z.object({
  Records: z.array(z.object({ messageId: z.string().check(z.minLength(1)), body: z.string() })),
});

export interface SlackNotifyDeps {
  /** The secret's string value, by ARN. */
  readSecret(secretArn: string): Promise<string>;
  publish(topicArn: string, subject: string, message: string): Promise<unknown>;
  fetch: typeof fetch;
  sleep(ms: number): Promise<void>;
  now(): number;
}

const defaultDeps: SlackNotifyDeps = {
  readSecret: getSecretString,
  publish: (topicArn, subject, message) => publish(topicArn, subject, message),
  fetch: (input, init) => fetch(input, init),
  sleep: (ms) => sleep(ms),
  now: () => Date.now(),
};

/** The same broken webhook is reported to people at most this often per container. */
const OPS_REPEAT_MS = 60 * 60 * 1000;
const MAX_LISTED_MALFORMED = 20;

export function createSlackNotifyHandler(overrides: Partial<SlackNotifyDeps> = {}) {
  const deps: SlackNotifyDeps = { ...defaultDeps, ...overrides };
  // Kept per container: the last post's time paces this container's next batch too.
  let notBefore: number | undefined;
  const lastAlerts = new Map<string, number>();

  async function alertOps(key: string, subject: string, message: string): Promise<void> {
    const topicArn = process.env.OPS_TOPIC_ARN;
    const last = lastAlerts.get(key);
    if (last !== undefined && deps.now() - last < OPS_REPEAT_MS) return;
    if (!topicArn) {
      logger.error('OPS_TOPIC_ARN is not set: the ops report was only logged', { subject });
      return;
    }
    try {
      await deps.publish(topicArn, subject, message);
      lastAlerts.set(key, deps.now());
    } catch (error) {
      // The notifications are already accounted for (acknowledged or handed back); the report must not change that.
      logger.error('could not publish to the ops topic', { subject, errorName: (error as Error).name });
    }
  }

  async function toWebhook(items: QueuedItem[], secretArn: string, context: Context): Promise<string[]> {
    const webhookUrl = readWebhookSecret(await deps.readSecret(secretArn));
    try {
      const report = await deliverToSlack(
        items,
        {
          post: (payload) => postToWebhook(webhookUrl, payload, { fetch: deps.fetch }),
          sleep: deps.sleep,
          now: deps.now,
          remainingMs: () => context.getRemainingTimeInMillis(),
        },
        // A new container does not know when the container before it last posted: it waits one
        // interval before its first post, so two posters never post more than twice in that time.
        { notBefore: notBefore ?? deps.now() + POSTER_MIN_INTERVAL_MS },
      );
      notBefore = report.notBefore;
      for (const problem of report.problems) await reportProblem(problem, secretArn, report.failed.length, context);
      logger.info('Slack delivery', {
        posts: report.posts.length,
        rollups: report.posts.filter((p) => p.kind === 'rollup').length,
        delivered: report.posts.reduce((n, p) => n + p.itemIdentifiers.length, 0),
        textOnly: report.posts.filter((p) => p.textOnly).length,
        handedBack: report.failed.length,
      });
      return report.failed;
    } catch (error) {
      // Defence in depth: nothing thrown past this point may carry the credential.
      const e = error as Error;
      if (typeof e.message === 'string') e.message = redactWebhookUrl(e.message, webhookUrl);
      if (typeof e.stack === 'string') e.stack = redactWebhookUrl(e.stack, webhookUrl);
      throw e;
    }
  }

  async function reportProblem(problem: DeliveryProblem, secretArn: string, handedBack: number, context: Context): Promise<void> {
    switch (problem.kind) {
      case 'rate-limited':
        logger.warn('Slack rate limit', { retryAfter: problem.retryAfter, resumeAt: new Date(problem.resumeAt).toISOString() });
        return;
      case 'rejected-payload':
        // A rendering Slack refuses is a defect to fix, but the text still reached the channel.
        logger.warn('Slack refused the Block Kit message; sent its text alone', { status: problem.status, slackError: problem.error, textOnlyAccepted: problem.textOnlyAccepted });
        return;
      case 'transient':
        logger.warn('Slack webhook unavailable; notifications handed back to the queue', { status: problem.status, slackError: problem.error, handedBack });
        return;
      case 'out-of-time':
        logger.warn('out of time for pacing; notifications handed back to the queue', { remainingMs: problem.remainingMs, handedBack });
        return;
      case 'needs-human':
        logger.error('Slack webhook refused by Slack; it needs someone to fix it', { status: problem.status, slackError: problem.error, handedBack });
        await alertOps(
          `webhook:${problem.status}:${problem.error}`,
          `[autotap] Slack notifications stopped: ${problem.status} ${problem.error}`,
          [
            `Slack refused the incoming webhook stored in ${secretArn} with HTTP ${problem.status} (${problem.error}).`,
            'The channel may have been deleted or archived, or the webhook revoked (the app removed from the workspace).',
            '',
            `${handedBack} detection notification(s) went back to the queue. After the queue's maxReceiveCount they move to its`,
            'dead-letter queue: nothing is lost, they wait there until redriven.',
            '',
            'To fix: create a new incoming webhook for the channel in Slack, store its URL in the secret above',
            '(plain URL or {"webhookUrl": "..."}), then redrive the dead-letter queue to its source queue.',
            '',
            `Reported by ${context.functionName}. This report repeats at most hourly while the problem lasts.`,
          ].join('\n'),
        );
        return;
    }
  }

  async function toAmazonQ(items: QueuedItem[]): Promise<string[]> {
    const topicArn = process.env.CHATBOT_TOPIC_ARN;
    if (!topicArn) throw new ConfigError('CHATBOT_TOPIC_ARN: not set (expected the SNS topic Amazon Q Developer in chat applications subscribes to)');
    const failed: string[] = [];
    // One SNS message per notification: Amazon Q threads them by detection, it has no roll-up.
    for (const { itemIdentifier, notification } of items) {
      const message = renderAmazonQ(notification.detection, notification.event);
      try {
        await deps.publish(topicArn, message.content.title, JSON.stringify(message));
      } catch (error) {
        logger.warn('could not publish to the Amazon Q topic; handed back to the queue', { itemIdentifier, errorName: (error as Error).name });
        failed.push(itemIdentifier);
      }
    }
    logger.info('Amazon Q delivery', { published: items.length - failed.length, handedBack: failed.length });
    return failed;
  }

  return lambdaHandler<unknown, SQSBatchResponse>(async (event, context) => {
    const { Records } = parseOrThrow(sqsEventSchema, event, (d) => new InvalidSqsEvent(d));
    const slack = detectionsSection()?.slack;
    if (!slack) throw new ConfigError('detections.slack: not configured (the Slack notifier has nowhere to post)');

    const items: QueuedItem[] = [];
    const malformed: { messageId: string; error: string }[] = [];
    let belowMinimum = 0;
    for (const record of Records) {
      const reading = readQueuedNotification(record.body);
      if (!reading.ok) malformed.push({ messageId: record.messageId, error: reading.error });
      else if (slack.minRiskScore !== undefined && reading.notification.detection.riskScore < slack.minRiskScore) belowMinimum++;
      else items.push({ itemIdentifier: record.messageId, notification: toPending(reading.notification) });
    }
    if (belowMinimum > 0) logger.info('below the Slack minRiskScore; acknowledged without posting', { count: belowMinimum, minRiskScore: slack.minRiskScore });
    if (malformed.length > 0) {
      // Redelivering cannot fix a body: acknowledge it, and say so where people look.
      logger.error('malformed Slack queue messages acknowledged without posting', { count: malformed.length, malformed: malformed.slice(0, MAX_LISTED_MALFORMED) });
      await alertOps(
        'malformed',
        `[autotap] ${malformed.length} malformed Slack notification(s) dropped`,
        [
          `${context.functionName} received queue messages it cannot read; they were acknowledged and not posted:`,
          ...malformed.slice(0, MAX_LISTED_MALFORMED).map((m) => `  ${m.messageId}: ${m.error}`),
          ...(malformed.length > MAX_LISTED_MALFORMED ? [`  ... and ${malformed.length - MAX_LISTED_MALFORMED} more (see the function's logs)`] : []),
          '',
          'Whatever writes to the Slack queue sends a body other than {"detection": ..., "event": "new"|"escalated"|"closed", "reasons": [...]}.',
        ].join('\n'),
      );
    }
    if (items.length === 0) return { batchItemFailures: [] };

    const failed = slack.format === 'amazon-q' ? await toAmazonQ(items) : await toWebhook(items, slack.secretArn, context);
    return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
  });
}

export const handler = createSlackNotifyHandler();
