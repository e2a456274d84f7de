import type { SQSBatchResponse } from 'aws-lambda';
import { detectionsFanout } from '../src/aws/detections-fanout.ts';
import { DetectionTable } from '../src/aws/dynamodb.ts';
import { requiredVariable } from '../src/config/environment.ts';
import { ENV, detectionsConfig, lifecyclePolicy } from '../src/detections/ingest/environment.ts';
import { channelDestination, parkedReport, rejectedReport } from '../src/detections/ingest/parking.ts';
import { processBatch, type BatchResult } from '../src/detections/ingest/process-batch.ts';
import { lambdaHandler } from '../src/lambda/handler.ts';
import { logger } from '../src/lambda/logger.ts';
import { publishMetrics } from '../src/lambda/metrics.ts';
import { processMetrics } from '../src/detections/metrics.ts';
import { tellOps } from '../src/lambda/ops-topic.ts';
import { batchItemFailures, readSqsEvent } from '../src/lambda/sqs-event.ts';

/**
 * SQS event source (ReportBatchItemFailures) of the detections queue: each raw detection is decided,
 * recorded and fanned out; only the failed messages are returned for redelivery.
 */

/** Logs each message's outcome and tells ops of what was dropped or parked. */
async function report(result: BatchResult, applianceUrl: string | undefined): Promise<void> {
  for (const r of result.reports) {
    if (r.outcome === 'failed') logger.warn('detection not processed; it will be redelivered', { ...r });
    else if (r.outcome !== 'rejected') logger.info('detection processed', { ...r });
  }
  // The reports follow what is already recorded and sent: tellOps never fails the batch for them,
  // as that would redeliver what was delivered.
  if (result.rejected.length > 0) {
    logger.warn('invalid detections acknowledged without processing', {
      count: result.rejected.length,
      rejected: result.rejected,
    });
    await tellOps(rejectedReport(result.rejected));
  }
  if (result.parked.length > 0) {
    logger.error('detection updates parked: a channel refused them for good; later updates go on', {
      parked: result.parked,
    });
    const items = result.parked.map((p) => ({
      id: p.detectionId,
      modTime: p.modTime,
      destination: channelDestination(p.channel),
      reason: p.reason,
    }));
    await tellOps(parkedReport(items, applianceUrl));
  }
}

export const handler = lambdaHandler<unknown, SQSBatchResponse>(async (event) => {
  const messages = readSqsEvent(event);
  const config = detectionsConfig();
  const table = new DetectionTable(requiredVariable(ENV.table, 'the detections table name'));
  const fanout = detectionsFanout({
    detectionsTopicArn: requiredVariable(ENV.detectionsTopicArn, 'the detections topic ARN'),
    emailTopicArn: requiredVariable(ENV.emailTopicArn, 'the detections email topic ARN'),
    // The stack creates the Slack queue, and sets its URL, only when detections.slack is configured.
    slackQueueUrl: config.slack
      ? requiredVariable(ENV.slackQueueUrl, 'the Slack queue URL (detections.slack is configured)')
      : undefined,
  });
  const result = await processBatch(messages, table, fanout, {
    policy: lifecyclePolicy(config),
    normalize: config.appliance ? { applianceUrl: config.appliance.url } : {},
    ...(config.slack?.minRiskScore !== undefined ? { slackMinRiskScore: config.slack.minRiskScore } : {}),
  });
  publishMetrics(processMetrics(result));
  await report(result, config.appliance?.url);
  return batchItemFailures(result.failed);
});
