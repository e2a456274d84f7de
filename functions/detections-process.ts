import type { SQSBatchResponse } from 'aws-lambda';
import { DetectionTable } from '../src/aws/dynamodb.ts';
import { publishBatch } from '../src/aws/sns.ts';
import { QueueSendFailed, sendMessages } from '../src/aws/sqs.ts';
import { requiredVariable } from '../src/config/environment.ts';
import { ENV, detectionsConfig, lifecyclePolicy } from '../src/detections/ingest/environment.ts';
import { channelDestination, parkedReport, rejectedReport } from '../src/detections/ingest/parking.ts';
import { processBatch, type FanoutPorts } from '../src/detections/ingest/process-batch.ts';
import { lambdaHandler } from '../src/lambda/handler.ts';
import { logger } from '../src/lambda/logger.ts';
import { tellOps } from '../src/lambda/ops-topic.ts';
import { batchItemFailures, readSqsEvent } from '../src/lambda/sqs-event.ts';

/**
 * SQS event source (ReportBatchItemFailures) of the detections queue: each raw detection is decided,
 * recorded and fanned out; only the failed messages are returned for redelivery.
 */

export const handler = lambdaHandler<unknown, SQSBatchResponse>(async (event) => {
  const messages = readSqsEvent(event);
  const config = detectionsConfig();
  const table = new DetectionTable(requiredVariable(ENV.table, 'the detections table name'));
  const detectionsTopicArn = requiredVariable(ENV.detectionsTopicArn, 'the detections topic ARN');
  const emailTopicArn = requiredVariable(ENV.emailTopicArn, 'the detections email topic ARN');
  // The stack creates the Slack queue, and sets its URL, only when detections.slack is configured.
  const slackQueueUrl = config.slack ? requiredVariable(ENV.slackQueueUrl, 'the Slack queue URL (detections.slack is configured)') : undefined;

  const fanout: FanoutPorts = {
    publishBatch: async (topic, entries) => {
      const failed = await publishBatch(topic === 'detections' ? detectionsTopicArn : emailTopicArn, entries);
      return new Map([...failed].map(([id, f]) => [id, { permanent: f.senderFault, reason: `${f.code}: ${f.message}` }]));
    },
    // SNS's BatchRequestTooLong (the SDK's BatchRequestTooLongException): the entries, not SNS, are the problem.
    permanentCall: (error) => /^BatchRequestTooLong(Exception)?$/.test((error as Error)?.name ?? ''),
  };
  if (slackQueueUrl) {
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

  const result = await processBatch(messages, table, fanout, {
    policy: lifecyclePolicy(config),
    normalize: config.appliance ? { applianceUrl: config.appliance.url } : {},
    ...(config.slack?.minRiskScore !== undefined ? { slackMinRiskScore: config.slack.minRiskScore } : {}),
  });
  for (const report of result.reports) {
    if (report.outcome === 'rejected') continue;
    if (report.outcome === 'failed') logger.warn('detection not processed; it will be redelivered', { ...report });
    else logger.info('detection processed', { ...report });
  }
  // The reports follow what is already recorded and sent: tellOps never fails the batch for them,
  // as that would redeliver what was delivered.
  if (result.rejected.length > 0) {
    logger.warn('invalid detections acknowledged without processing', { count: result.rejected.length, rejected: result.rejected });
    await tellOps(rejectedReport(result.rejected));
  }
  if (result.parked.length > 0) {
    logger.error('detection updates parked: a channel refused them for good; later updates go on', { parked: result.parked });
    const items = result.parked.map((p) => ({ id: p.detectionId, modTime: p.modTime, destination: channelDestination(p.channel), reason: p.reason }));
    await tellOps(parkedReport(items, config.appliance?.url));
  }
  return batchItemFailures(result.failed);
});
