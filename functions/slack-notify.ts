import { setTimeout as sleep } from 'node:timers/promises';
import type { SQSBatchResponse } from 'aws-lambda';
import { getSecretString } from '../src/aws/secrets.ts';
import { publish } from '../src/aws/sns.ts';
import { detectionsSection, requiredVariable } from '../src/config/environment.ts';
import { ConfigError } from '../src/config/error.ts';
import { createSlackNotifier } from '../src/detections/slack-notifier.ts';
import { lambdaHandler } from '../src/lambda/handler.ts';
import { logger } from '../src/lambda/logger.ts';
import { publishMetrics } from '../src/lambda/metrics.ts';
import { tellOps } from '../src/lambda/ops-topic.ts';
import { batchItemFailures, readSqsEvent } from '../src/lambda/sqs-event.ts';
import { withWebhook } from '../src/slack/webhook.ts';

/**
 * SQS-triggered: posts queued detection notifications to Slack. At most SLACK_CONCURRENT_POSTERS
 * invocations run at once (the event source's maximum concurrency, matched by the reserved
 * concurrency so that none is throttled), each pacing itself to its share of the webhook's rate.
 * Returns a partial batch response: what Slack did not take goes back to the queue, and after
 * maxReceiveCount receives into its dead-letter queue. The decisions are src/detections/slack-notifier.ts.
 */

export interface SlackNotifyDeps {
  /** The secret's string value, by ARN. */
  readSecret(secretArn: string): Promise<string>;
  publish: (topicArn: string, subject: string, message: string) => Promise<unknown>;
  fetch: typeof fetch;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

const defaultDeps: SlackNotifyDeps = {
  readSecret: getSecretString,
  publish: (topicArn, subject, message) => publish(topicArn, subject, message),
  fetch: (input, init) => fetch(input, init),
  sleep: (ms) => sleep(ms),
  now: () => Date.now(),
};

export function createSlackNotifyHandler(overrides: Partial<SlackNotifyDeps> = {}) {
  const deps: SlackNotifyDeps = { ...defaultDeps, ...overrides };
  // One per container: the pacing and the hourly ops reports carry over between batches.
  const notifier = createSlackNotifier({
    withWebhook: async (secretArn, use) => withWebhook(await deps.readSecret(secretArn), use, { fetch: deps.fetch }),
    publish: deps.publish,
    tellOps: (report) => tellOps(report, deps.publish),
    log: ({ level, text, fields }) => logger[level](text, fields),
    measure: publishMetrics,
    sleep: deps.sleep,
    now: deps.now,
  });

  return lambdaHandler<unknown, SQSBatchResponse>(async (event, context) => {
    const messages = readSqsEvent(event);
    const slack = detectionsSection()?.slack;
    if (!slack) throw new ConfigError('detections.slack: not configured (the Slack notifier has nowhere to post)');
    const handedBack = await notifier.notify(messages, {
      slack,
      // Set by the stack only for the amazon-q format, the one that publishes to it.
      ...(slack.format === 'amazon-q'
        ? {
            amazonQTopicArn: requiredVariable(
              'CHATBOT_TOPIC_ARN',
              'the SNS topic Amazon Q Developer in chat applications subscribes to',
            ),
          }
        : {}),
      functionName: context.functionName,
      remainingMs: () => context.getRemainingTimeInMillis(),
    });
    return batchItemFailures(handedBack);
  });
}

export const handler = createSlackNotifyHandler();
