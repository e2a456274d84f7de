import type { Context } from 'aws-lambda';
import { ApplianceRateLimited, createApplianceClient } from '../src/aws/appliance.ts';
import { DetectionTable } from '../src/aws/dynamodb.ts';
import { getSecretString } from '../src/aws/secrets.ts';
import { publish } from '../src/aws/sns.ts';
import { queueJson, sendMessages } from '../src/aws/sqs.ts';
import { ConfigError } from '../src/config/error.ts';
import { ENV, detectionsConfig } from '../src/detections/ingest/environment.ts';
import { requiredVariable } from '../src/config/environment.ts';
import { CURSOR_KEY } from '../src/detections/ingest/keys.ts';
import { parkedReport } from '../src/detections/ingest/parking.ts';
import { pollWindow, type PollResult } from '../src/detections/ingest/poll-window.ts';
import { lambdaHandler } from '../src/lambda/handler.ts';
import { logger } from '../src/lambda/logger.ts';
import { publishMetrics } from '../src/lambda/metrics.ts';
import { pollMetrics } from '../src/detections/metrics.ts';

/**
 * Scheduled: reads the detections modified since the cursor from the appliance and enqueues them,
 * raw, to the detections queue, committing the cursor after each page; the processor does the rest.
 * A detection SQS refuses is parked: logged, reported to the ops topic, and left behind the cursor.
 */

export type PollOutput = PollResult | { outcome: 'disabled' | 'rate-limited'; reason?: string };

/**
 * Time kept for the last chunk's enqueue and the cursor commit: a chunk of 1,000 is 100 SendMessageBatch
 * calls, 10 at a time, under a second even with the SDK's retries of a few of them.
 */
export const POLL_RESERVE_MS = 15_000;
const DEFAULT_LOOKBACK_MINUTES = 60;

export const handler = lambdaHandler<unknown, PollOutput>(async (_event, context: Context) => {
  const config = detectionsConfig();
  if (!config.enabled || !config.poll.enabled) return { outcome: 'disabled' };
  const appliance = config.appliance;
  if (!appliance)
    throw new ConfigError('detections.appliance: not set (the poll needs the appliance URL, auth and secretArn)');
  const table = new DetectionTable(requiredVariable(ENV.table, 'the detections table name'));
  const queueUrl = requiredVariable(ENV.queueUrl, 'the detections queue URL');
  const lookback = Number(process.env[ENV.initialLookbackMinutes] ?? DEFAULT_LOOKBACK_MINUTES);
  const remainingMs = () =>
    typeof context?.getRemainingTimeInMillis === 'function'
      ? context.getRemainingTimeInMillis()
      : Number.POSITIVE_INFINITY;

  const client = createApplianceClient({
    url: appliance.url,
    auth: appliance.auth,
    readSecret: () => getSecretString(appliance.secretArn),
    secretName: appliance.secretArn,
    remainingMs,
  });
  try {
    const result = await pollWindow(
      {
        readCursor: () => table.readCursor(CURSOR_KEY),
        commitCursor: (previous, next) => table.commitCursor(CURSOR_KEY, previous, next, Date.now()),
        search: (search) => client.searchDetections(search),
        enqueue: (raw) => sendMessages(queueUrl, raw.map(queueJson)),
        reportParked: async (parked) => {
          logger.error('detections parked: SQS refused them; the poll goes on without them', { parked });
          const topicArn = process.env[ENV.opsTopicArn];
          if (!topicArn) return;
          const report = parkedReport(
            parked.map((p) => ({ ...p, destination: 'the detections queue' })),
            appliance.url,
          );
          // A failed report throws: the cursor stays before them and the next poll tries again.
          await publish(topicArn, report.subject, report.message);
        },
        hasTimeFor: () => remainingMs() > POLL_RESERVE_MS,
      },
      {
        pageSize: config.poll.pageSize,
        initialCursor: Math.max(
          0,
          Date.now() - (Number.isFinite(lookback) && lookback >= 0 ? lookback : DEFAULT_LOOKBACK_MINUTES) * 60_000,
        ),
      },
    );
    if (result.outcome === 'incomplete')
      logger.warn('poll stopped before the end of the backlog; the next poll goes on from the committed cursor', {
        ...result,
      });
    else logger.info('poll window done', { ...result });
    publishMetrics(pollMetrics(result, Date.now()));
    return result;
  } catch (error) {
    if (error instanceof ApplianceRateLimited) {
      logger.warn('appliance rate limit outlasts this poll; the cursor stays', { retryAfterMs: error.retryAfterMs });
      return { outcome: 'rate-limited', reason: error.message };
    }
    throw error;
  }
});
