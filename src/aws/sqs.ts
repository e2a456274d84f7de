import { splitIntoBatches } from '../batches.ts';
import { forEachWithLimit } from '../parallel.ts';
import { sdkErrorFields } from './errors.ts';
import { SendMessageBatchCommand, SQSClient, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import { countThrottles } from './throttles.ts';

let shared: { endpoint: string | undefined; client: SQSClient } | undefined;
/** One client per container, as in ec2.ts. */
export function sqsClient(): SQSClient {
  const endpoint = process.env.AWS_ENDPOINT_URL_SQS ?? process.env.AWS_ENDPOINT_URL;
  if (!shared || shared.endpoint !== endpoint) shared = { endpoint, client: countThrottles(new SQSClient({}), 'sqs') };
  return shared.client;
}

export const SQS_MAX_BATCH_ENTRIES = 10;
/**
 * SQS's limit for one message and for a whole batch: 1 MiB (1,048,576 bytes) since August 2025, the
 * default MaximumMessageSize of a queue
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html,
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html).
 */
export const SQS_MAX_BATCH_BYTES = 1_048_576;
/**
 * SendMessageBatch calls in flight per sendMessages: a standard queue takes "a nearly unlimited number
 * of API calls per second, per API action"
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/standard-queues.html), so
 * the bound is this function's own sockets and memory: 10 calls carry 100 messages at a time, well
 * inside the SDK's default of 50 sockets per host.
 */
export const SQS_SEND_CONCURRENCY = 10;
/** Rounds of SendMessageBatch for the entries SQS reported in Failed (the SDK already retries whole calls). */
const FAILED_ENTRY_ROUNDS = 3;
/** Call-level errors about what was sent, not about SQS: sent alone, an entry that still gets one is refused for good. */
const SENDER_CALL_ERRORS = new Set(['BatchRequestTooLong', 'InvalidParameterValue', 'InvalidMessageContents']);

/** Some messages could not be sent for a reason that may pass; `failed` are their positions in the list given to sendMessages. */
export class QueueSendFailed extends Error {
  override name = 'QueueSendFailed';
  readonly failed: number[];
  /** Positions SQS refused for good, with its reason (as sendMessages returns them when nothing else failed). */
  readonly refused: Map<number, string>;

  constructor(failed: number[], reason: string, refused = new Map<number, string>()) {
    super(`${failed.length} message(s) not sent: ${reason}`);
    this.failed = failed;
    this.refused = refused;
  }
}

/**
 * A value as JSON text that SQS accepts whatever it holds: JSON.stringify already escapes control
 * characters and lone surrogates; U+FFFE and U+FFFF, which SQS refuses in a body, are escaped too.
 */
export function queueJson(value: unknown): string {
  return (JSON.stringify(value) ?? 'null').replace(/[\uFFFE\uFFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

function batchesOf(indexes: readonly number[], bodies: readonly string[]): number[][] {
  return splitIntoBatches(indexes, {
    maxEntries: SQS_MAX_BATCH_ENTRIES,
    maxBytes: SQS_MAX_BATCH_BYTES,
    sizeOf: (i) => Buffer.byteLength(bodies[i]!, 'utf8'),
  });
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const describe = (code: string | undefined, message: string | undefined) =>
  `${code ?? 'failed'}${message ? `: ${message}` : ''}`;

/**
 * Sends every body with SendMessageBatch (at most 10 and 1 MiB per call, SQS_SEND_CONCURRENCY calls at
 * a time). Entries SQS lists in Failed
 * for its own reasons are sent again; a sender fault (too large, invalid characters) cannot improve and
 * is returned as refused, position -> SQS's reason, for the caller to park. A call refused as a whole
 * for its content is split so that only the offending entry is refused. Throws QueueSendFailed when
 * anything else is left unsent, so the caller decides what to retry.
 */
export async function sendMessages(
  queueUrl: string,
  bodies: readonly string[],
  client = sqsClient(),
  concurrency = SQS_SEND_CONCURRENCY,
): Promise<Map<number, string>> {
  let pending = bodies.map((_, i) => i);
  const refused = new Map<number, string>();
  let reason = '';
  for (let round = 0; round < FAILED_ENTRY_ROUNDS && pending.length > 0; round++) {
    const again: number[] = [];
    const alone: number[] = [];
    if (round > 0) await pause(50 * 2 ** round);
    await forEachWithLimit(batchesOf(pending, bodies), concurrency, async (batch) => {
      const entries: SendMessageBatchRequestEntry[] = batch.map((index) => ({
        Id: `m${index}`,
        MessageBody: bodies[index]!,
      }));
      try {
        const out = await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
        for (const f of out.Failed ?? []) {
          const index = Number(f.Id?.slice(1));
          if (f.SenderFault) refused.set(index, describe(f.Code, f.Message));
          else again.push(index);
          reason = describe(f.Code, f.Message);
        }
      } catch (error) {
        const { code, message } = sdkErrorFields(error);
        if (SENDER_CALL_ERRORS.has(code) && batch.length === 1) refused.set(batch[0]!, describe(code, message));
        else if (SENDER_CALL_ERRORS.has(code)) alone.push(...batch);
        else again.push(...batch);
        reason = describe(code, message);
      }
    });
    // Entries of a batch refused as a whole go one by one at once: only the culprit is refused.
    await forEachWithLimit(alone, concurrency, async (index) => {
      try {
        const out = await client.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: [{ Id: `m${index}`, MessageBody: bodies[index]! }],
          }),
        );
        const f = out.Failed?.[0];
        if (f?.SenderFault) refused.set(index, describe(f.Code, f.Message));
        else if (f) again.push(index);
      } catch (error) {
        const { code, message } = sdkErrorFields(error);
        if (SENDER_CALL_ERRORS.has(code)) refused.set(index, describe(code, message));
        else again.push(index);
        reason = describe(code, message);
      }
    });
    pending = again;
  }
  if (pending.length > 0)
    throw new QueueSendFailed(
      [...pending].sort((a, b) => a - b),
      reason,
      refused,
    );
  return refused;
}
