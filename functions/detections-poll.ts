import type { Context } from 'aws-lambda';
import { ApplianceRateLimited, createApplianceClient } from '../src/aws/appliance.ts';
import { DetectionTable } from '../src/aws/dynamodb.ts';
import { getSecretString } from '../src/aws/secrets.ts';
import { sendMessages } from '../src/aws/sqs.ts';
import { ConfigError } from '../src/config/error.ts';
import { ENV, detectionsConfig, requiredVariable } from '../src/detections/ingest/environment.ts';
import { CURSOR_KEY } from '../src/detections/ingest/keys.ts';
import { pollWindow, type PollResult } from '../src/detections/ingest/poll-window.ts';
import { lambdaHandler } from '../src/lambda/handler.ts';
import { logger } from '../src/lambda/logger.ts';

/**
 * Scheduled: reads the detections modified since the cursor from the appliance and enqueues them,
 * raw, to the detections queue; the processor does the rest.
 */

export type PollOutput = PollResult | { outcome: 'disabled' | 'rate-limited'; reason?: string };

/** Time kept for the last page's enqueue and the cursor commit. */
const RESERVE_MS = 15_000;
const DEFAULT_LOOKBACK_MINUTES = 60;

export const handler = lambdaHandler<unknown, PollOutput>(async (_event, context: Context) => {
  const config = detectionsConfig();
  if (!config.enabled || !config.poll.enabled) return { outcome: 'disabled' };
  const appliance = config.appliance;
  if (!appliance) throw new ConfigError('detections.appliance: not set (the poll needs the appliance URL, auth and secretArn)');
  const table = new DetectionTable(requiredVariable(ENV.table, 'the detections table name'));
  const queueUrl = requiredVariable(ENV.queueUrl, 'the detections queue URL');
  const lookback = Number(process.env[ENV.initialLookbackMinutes] ?? DEFAULT_LOOKBACK_MINUTES);
  const remainingMs = () => (typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : Number.POSITIVE_INFINITY);

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
        enqueue: (raw) => sendMessages(queueUrl, raw.map((r) => JSON.stringify(r))),
        hasTimeFor: () => remainingMs() > RESERVE_MS,
      },
      {
        pageSize: config.poll.pageSize,
        initialCursor: Math.max(0, Date.now() - (Number.isFinite(lookback) && lookback >= 0 ? lookback : DEFAULT_LOOKBACK_MINUTES) * 60_000),
      },
    );
    if (result.outcome === 'incomplete') logger.warn('poll window incomplete; the cursor stays and the next poll reads it again', { ...result });
    else logger.info('poll window done', { ...result });
    return result;
  } catch (error) {
    if (error instanceof ApplianceRateLimited) {
      logger.warn('appliance rate limit outlasts this poll; the cursor stays', { retryAfterMs: error.retryAfterMs });
      return { outcome: 'rate-limited', reason: error.message };
    }
    throw error;
  }
});
