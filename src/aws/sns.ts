import {
  paginateListSubscriptionsByTopic,
  paginateListTopics,
  PublishBatchCommand,
  PublishCommand,
  SNSClient,
} from '@aws-sdk/client-sns';
import type { SnsPublishEntry } from '../detections/publish.ts';
import { awsCall } from './errors.ts';
import type { SubscriptionFacts } from '../doctor/facts.ts';
import { permitted } from './permissions.ts';
import { countThrottles } from './throttles.ts';

let shared: { endpoint: string | undefined; client: SNSClient } | undefined;
/** One client per container, as in ec2.ts. */
export function snsClient(): SNSClient {
  const endpoint = process.env.AWS_ENDPOINT_URL_SNS ?? process.env.AWS_ENDPOINT_URL;
  if (!shared || shared.endpoint !== endpoint) shared = { endpoint, client: countThrottles(new SNSClient({}), 'sns') };
  return shared.client;
}

/** SNS email subjects: fewer than 100 printable ASCII characters, no line breaks. */
export function safeSubject(subject: string): string {
  const ascii = subject.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length < 100 ? ascii : `${ascii.slice(0, 96)}...`;
}

export async function publish(
  topicArn: string,
  subject: string,
  message: string,
  client = snsClient(),
): Promise<string | undefined> {
  const out = await awsCall('SNS Publish', () =>
    client.send(new PublishCommand({ TopicArn: topicArn, Subject: safeSubject(subject), Message: message })),
  );
  return out.MessageId;
}

/** Why SNS did not accept one entry; `senderFault`: the entry itself is wrong and sending it again cannot help. */
export interface EntryFailure {
  code: string;
  message: string;
  senderFault: boolean;
}

/**
 * One PublishBatch call (at most 10 entries; split with publishBatches first). Returns the entries SNS
 * reported in Failed, by Id; a call that fails as a whole throws a domain error (throttling and
 * faults a RetryableError, a refusal an AwsRefusal named after SNS's code, e.g. BatchRequestTooLong).
 */
export async function publishBatch(
  topicArn: string,
  entries: readonly SnsPublishEntry[],
  client = snsClient(),
): Promise<Map<string, EntryFailure>> {
  const out = await awsCall('SNS PublishBatch', () =>
    client.send(
      new PublishBatchCommand({
        TopicArn: topicArn,
        PublishBatchRequestEntries: entries.map((e) => ({
          Id: e.Id,
          Message: e.Message,
          ...(e.Subject ? { Subject: safeSubject(e.Subject) } : {}),
          MessageAttributes: e.MessageAttributes,
        })),
      }),
    ),
  );
  return new Map(
    (out.Failed ?? []).flatMap((f) =>
      f.Id
        ? [[f.Id, { code: f.Code ?? 'Failed', message: f.Message ?? '', senderFault: f.SenderFault === true }] as const]
        : [],
    ),
  );
}

/** The ARN of the topic named `name` in this account and region, if it exists. */
export async function findTopicArn(name: string, client = snsClient()): Promise<string | undefined> {
  return permitted('sns:ListTopics', async () => {
    for await (const page of paginateListTopics({ client }, {})) {
      const found = (page.Topics ?? []).find((t) => t.TopicArn?.split(':').pop() === name);
      if (found?.TopicArn) return found.TopicArn;
    }
    return undefined;
  });
}

/**
 * A topic's subscriptions. SNS lists one the endpoint has not confirmed yet with the SubscriptionArn
 * `PendingConfirmation` (API reference, Subscription).
 */
export async function listSubscriptions(topicArn: string, client = snsClient()): Promise<SubscriptionFacts[]> {
  return permitted('sns:ListSubscriptionsByTopic', async () => {
    const found: SubscriptionFacts[] = [];
    for await (const page of paginateListSubscriptionsByTopic({ client }, { TopicArn: topicArn })) {
      for (const s of page.Subscriptions ?? []) {
        found.push({
          protocol: s.Protocol ?? '',
          endpoint: s.Endpoint ?? '',
          pendingConfirmation: s.SubscriptionArn === 'PendingConfirmation',
        });
      }
    }
    return found;
  });
}
