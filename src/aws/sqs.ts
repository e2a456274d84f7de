import { splitIntoBatches } from '../batches.ts';
import { SendMessageBatchCommand, SQSClient, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';

let shared: { endpoint: string | undefined; client: SQSClient } | undefined;
/** One client per container, as in ec2.ts. */
export function sqsClient(): SQSClient {
  const endpoint = process.env.AWS_ENDPOINT_URL_SQS ?? process.env.AWS_ENDPOINT_URL;
  if (!shared || shared.endpoint !== endpoint) shared = { endpoint, client: new SQSClient({}) };
  return shared.client;
}

export const SQS_MAX_BATCH_ENTRIES = 10;
/** SQS's limit for one message and for a whole batch. */
export const SQS_MAX_BATCH_BYTES = 1_048_576;
/** Rounds of SendMessageBatch for the entries SQS reported in Failed (the SDK already retries whole calls). */
const FAILED_ENTRY_ROUNDS = 3;

/** Some messages could not be sent; `failed` are their positions in the list given to sendMessages. */
export class QueueSendFailed extends Error {
  override name = 'QueueSendFailed';
  readonly failed: number[];

  constructor(failed: number[], reason: string) {
    super(`${failed.length} message(s) not sent: ${reason}`);
    this.failed = failed;
  }
}

function batchesOf(indexes: readonly number[], bodies: readonly string[]): number[][] {
  return splitIntoBatches(indexes, { maxEntries: SQS_MAX_BATCH_ENTRIES, maxBytes: SQS_MAX_BATCH_BYTES, sizeOf: (i) => Buffer.byteLength(bodies[i]!, 'utf8') });
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Sends every body with SendMessageBatch (at most 10 and 1 MiB per call); entries SQS lists in Failed
 * for its own reasons are sent again, a sender fault (too large, invalid characters) is not since it
 * cannot improve. Throws QueueSendFailed naming what is left, so the caller decides what to retry.
 */
export async function sendMessages(queueUrl: string, bodies: readonly string[], client = sqsClient()): Promise<void> {
  let pending = bodies.map((_, i) => i);
  const refused: number[] = [];
  let reason = '';
  for (let round = 0; round < FAILED_ENTRY_ROUNDS && pending.length > 0; round++) {
    if (round > 0) await pause(50 * 2 ** round);
    const again: number[] = [];
    for (const batch of batchesOf(pending, bodies)) {
      const entries: SendMessageBatchRequestEntry[] = batch.map((index) => ({ Id: `m${index}`, MessageBody: bodies[index]! }));
      try {
        const out = await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
        for (const f of out.Failed ?? []) {
          const index = Number(f.Id?.slice(1));
          (f.SenderFault ? refused : again).push(index);
          reason = `${f.Code ?? 'failed'}${f.Message ? `: ${f.Message}` : ''}`;
        }
      } catch (error) {
        again.push(...batch);
        reason = `${(error as Error).name}: ${(error as Error).message}`;
      }
    }
    pending = again;
  }
  const left = [...pending, ...refused].sort((a, b) => a - b);
  if (left.length > 0) throw new QueueSendFailed(left, reason);
}
