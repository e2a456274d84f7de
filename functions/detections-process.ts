import type { SQSBatchResponse } from 'aws-lambda';
import * as z from 'zod/mini';
import { DetectionTable } from '../src/aws/dynamodb.ts';
import { publish, publishBatch } from '../src/aws/sns.ts';
import { QueueSendFailed, sendMessages } from '../src/aws/sqs.ts';
import { ENV, detectionsConfig, lifecyclePolicy } from '../src/detections/ingest/environment.ts';
import { requiredVariable } from '../src/config/environment.ts';
import { parkedReport } from '../src/detections/ingest/parking.ts';
import { processBatch, type BatchResult, type FanoutPorts, type ParkedDelivery } from '../src/detections/ingest/process-batch.ts';
import { lambdaHandler } from '../src/lambda/handler.ts';
import { logger } from '../src/lambda/logger.ts';
import { parseOrThrow } from '../src/validation.ts';

/**
 * SQS event source (ReportBatchItemFailures) of the detections queue: each raw detection is decided,
 * recorded and fanned out; only the failed messages are returned for redelivery.
 */

const eventSchema = z.object({
  Records: z.array(z.object({ messageId: z.string().check(z.minLength(1)), body: z.string() })),
});

class InvalidEvent extends Error {
  override name = 'InvalidEvent';
}

async function reportRejected(rejected: BatchResult['rejected']): Promise<void> {
  logger.warn('invalid detections acknowledged without processing', { count: rejected.length, rejected });
  const topicArn = process.env[ENV.opsTopicArn];
  if (!topicArn) return;
  const lines = rejected.map((r) => `- message ${r.messageId}${r.id ? `, detection ${r.id}` : ''}: ${r.error}`);
  const message = [
    `${rejected.length} detection(s) could not be read and were dropped (not retried).`,
    'The appliance sent them in a shape autotap does not understand; each line names the problem.',
    '',
    ...lines,
  ].join('\n');
  try {
    await publish(topicArn, `autotap: ${rejected.length} invalid detection(s) dropped`, message);
  } catch (error) {
    // The report is a courtesy; failing the batch for it would redeliver the valid detections too.
    logger.error('could not report invalid detections to the ops topic', { errorName: (error as Error).name });
  }
}

const DESTINATIONS: Record<ParkedDelivery['channel'], string> = { detections: 'the detections topic', email: 'the email topic', slack: 'the Slack queue' };

async function reportParked(parked: ParkedDelivery[], applianceUrl: string | undefined): Promise<void> {
  logger.error('detection updates parked: a channel refused them for good; later updates go on', { parked });
  const topicArn = process.env[ENV.opsTopicArn];
  if (!topicArn) return;
  const report = parkedReport(
    parked.map((p) => ({ id: p.detectionId, modTime: p.modTime, destination: DESTINATIONS[p.channel], reason: p.reason })),
    applianceUrl,
  );
  try {
    await publish(topicArn, report.subject, report.message);
  } catch (error) {
    // Logged above in full; failing the batch would redeliver what was delivered.
    logger.error('could not report parked detections to the ops topic', { errorName: (error as Error).name });
  }
}

export const handler = lambdaHandler<unknown, SQSBatchResponse>(async (event) => {
  const { Records } = parseOrThrow(eventSchema, event, (d) => new InvalidEvent(`not an SQS event: ${d}`));
  const config = detectionsConfig();
  const table = new DetectionTable(requiredVariable(ENV.table, 'the detections table name'));
  const detectionsTopicArn = requiredVariable(ENV.detectionsTopicArn, 'the detections topic ARN');
  const emailTopicArn = requiredVariable(ENV.emailTopicArn, 'the detections email topic ARN');
  const slackQueueUrl = process.env[ENV.slackQueueUrl];

  const fanout: FanoutPorts = {
    publishBatch: async (topic, entries) => {
      const failed = await publishBatch(topic === 'detections' ? detectionsTopicArn : emailTopicArn, entries);
      return new Map([...failed].map(([id, f]) => [id, { permanent: f.senderFault, reason: `${f.code}: ${f.message}` }]));
    },
    // SNS's BatchRequestTooLong (the SDK's BatchRequestTooLongException): the entries, not SNS, are the problem.
    permanentCall: (error) => /^BatchRequestTooLong(Exception)?$/.test((error as Error)?.name ?? ''),
  };
  if (config.slack && slackQueueUrl) {
    const refusedForGood = (refused: Map<number, string>) => new Map([...refused].map(([i, reason]) => [i, { permanent: true, reason }]));
    fanout.enqueueSlack = async (bodies) => {
      try {
        return refusedForGood(await sendMessages(slackQueueUrl, bodies));
      } catch (error) {
        if (!(error instanceof QueueSendFailed)) throw error;
        const failures = refusedForGood(error.refused);
        for (const i of error.failed) failures.set(i, { permanent: false, reason: error.message });
        return failures;
      }
    };
  }

  const result = await processBatch(
    Records.map((r) => ({ messageId: r.messageId, body: r.body })),
    table,
    fanout,
    {
      policy: lifecyclePolicy(config),
      normalize: config.appliance ? { applianceUrl: config.appliance.url } : {},
      ...(config.slack?.minRiskScore !== undefined ? { slackMinRiskScore: config.slack.minRiskScore } : {}),
    },
  );
  for (const report of result.reports) {
    if (report.outcome === 'rejected') continue;
    if (report.outcome === 'failed') logger.warn('detection not processed; it will be redelivered', { ...report });
    else logger.info('detection processed', { ...report });
  }
  if (result.rejected.length > 0) await reportRejected(result.rejected);
  if (result.parked.length > 0) await reportParked(result.parked, config.appliance?.url);
  return { batchItemFailures: result.failed.map((itemIdentifier) => ({ itemIdentifier })) };
});
