import type { SQSBatchResponse } from 'aws-lambda';
import { startExecution, StepFunctionsError } from '../src/aws/stepfunctions.ts';
import { mirroringConfig, organizationSection, requiredVariable } from '../src/config/environment.ts';
import { actingPlace } from '../src/aws/places.ts';
import {
  coalesceTagChanges,
  parseTagChange,
  reconcileExecutionName,
  scopeTagKeys,
  type QueuedTagChange,
} from '../src/mirroring/tag-changes.ts';
import { lambdaHandler } from '../src/lambda/handler.ts';
import { logger } from '../src/lambda/logger.ts';
import { batchItemFailures, readSqsEvent } from '../src/lambda/sqs-event.ts';

/**
 * SQS event source of the tag-changes queue: every tag event of the batch is read, each instance
 * named by one that can change its scope is reconciled once. A message that is not a tag event, or
 * whose reconcile could not be started, is handed back: redelivered, and parked in the dead-letter
 * queue (with its alarm) when it keeps failing.
 */
export const handler = lambdaHandler<unknown, SQSBatchResponse>(async (event) => {
  const messages = readSqsEvent(event);
  const stateMachineArn = requiredVariable('RECONCILE_STATE_MACHINE_ARN', 'the reconcile state machine ARN');
  const scopeKeys = scopeTagKeys(mirroringConfig().scope);
  const organization = organizationSection();
  const changes: QueuedTagChange[] = [];
  const failed: string[] = [];
  for (const message of messages) {
    try {
      changes.push({ messageId: message.messageId, change: parseTagChange(JSON.parse(message.body)) });
    } catch (error) {
      logger.error('not a tag event; handed back for the dead-letter queue', {
        messageId: message.messageId,
        error: (error as Error).message,
      });
      failed.push(message.messageId);
    }
  }
  const { reconciles, ignored } = coalesceTagChanges(changes, scopeKeys);
  // The reconciles this batch started, or found started by an earlier delivery of the same messages.
  const started: { name: string; instanceIds: number }[] = [];
  const invalid = failed.length;
  for (const reconcile of reconciles) {
    const name = reconcileExecutionName(reconcile);
    try {
      // The place matters in an organization only: a single account's reconcile knows where it is.
      const place = actingPlace(reconcile.place, organization);
      const input = { instanceIds: reconcile.instanceIds, ...(place ? { place } : {}) };
      await startExecution(stateMachineArn, input, undefined, name);
      started.push({ name, instanceIds: reconcile.instanceIds.length });
    } catch (error) {
      if (error instanceof StepFunctionsError && error.kind === 'already-exists') {
        started.push({ name, instanceIds: reconcile.instanceIds.length });
        continue;
      }
      logger.warn('reconcile not started; its messages will be redelivered', {
        instances: reconcile.instanceIds.length,
        error: (error as Error).message,
      });
      failed.push(...reconcile.messageIds);
    }
  }
  logger.info('tag changes coalesced', {
    messages: messages.length,
    reconciles: started.length,
    instances: started.reduce((sum, s) => sum + s.instanceIds, 0),
    ignored: ignored.length,
    invalid,
  });
  // Only what ReportBatchItemFailures reads (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html).
  return batchItemFailures([...new Set(failed)]);
});
