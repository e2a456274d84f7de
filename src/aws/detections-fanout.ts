import type { FanoutPorts, SendFailure } from '../detections/ingest/process-batch.ts';
import { describeThrown } from '../thrown.ts';
import { publishBatch } from './sns.ts';
import { QueueSendFailed, sendMessages } from './sqs.ts';

/**
 * The fan-out channels of the detections processor over SNS and SQS: what the services answer
 * becomes the domain's SendFailure (refused for good, or worth trying again), so that processBatch
 * never sees an SDK error name.
 */

export interface FanoutDestinations {
  detectionsTopicArn: string;
  emailTopicArn: string;
  /** Absent: Slack is not configured, and nothing is enqueued for it. */
  slackQueueUrl?: string | undefined;
}

/** SNS's BatchRequestTooLong (the SDK's BatchRequestTooLongException): the entries, not SNS, are the problem. */
export function refusesTheEntries(error: unknown): boolean {
  return /^BatchRequestTooLong(Exception)?$/.test(describeThrown(error).name);
}

const refusedForGood = (refused: Map<number, string>) =>
  new Map<number, SendFailure>([...refused].map(([i, reason]) => [i, { permanent: true, reason }]));

async function enqueueSlack(queueUrl: string, bodies: string[]): Promise<Map<number, SendFailure>> {
  try {
    return refusedForGood(await sendMessages(queueUrl, bodies));
  } catch (error) {
    if (!(error instanceof QueueSendFailed)) throw error;
    const failures = refusedForGood(error.refused);
    for (const i of error.failed) failures.set(i, { permanent: false, reason: error.message });
    return failures;
  }
}

export function detectionsFanout(destinations: FanoutDestinations): FanoutPorts {
  const { slackQueueUrl } = destinations;
  return {
    publishBatch: async (topic, entries) => {
      const failed = await publishBatch(
        topic === 'detections' ? destinations.detectionsTopicArn : destinations.emailTopicArn,
        entries,
      );
      return new Map(
        [...failed].map(([id, f]) => [id, { permanent: f.senderFault, reason: `${f.code}: ${f.message}` }]),
      );
    },
    permanentCall: refusesTheEntries,
    ...(slackQueueUrl ? { enqueueSlack: (bodies: string[]) => enqueueSlack(slackQueueUrl, bodies) } : {}),
  };
}
