import type { SQSBatchResponse } from 'aws-lambda';
import * as z from 'zod/mini';
import { parseOrThrow } from '../validation.ts';

/**
 * The event an SQS event source mapping hands to a Lambda, as autotap's queue consumers read it, and
 * the partial batch response they return (the mapping's ReportBatchItemFailures): only the messages
 * named in it are redelivered, the rest of the batch is deleted from the queue.
 */

export class InvalidSqsEvent extends Error {
  override name = 'InvalidSqsEvent';
}

/** One queue message: the id a partial batch response names, and its body. */
export interface QueueMessage {
  messageId: string;
  body: string;
}

// Only the fields autotap reads; the others (receipt handle, attributes, ...) are left to the mapping.
const sqsEventSchema = z.object({
  Records: z.array(z.object({ messageId: z.string().check(z.minLength(1)), body: z.string() })),
});

/** The batch's messages in queue order, or InvalidSqsEvent naming the field that is wrong. */
export function readSqsEvent(event: unknown): QueueMessage[] {
  const { Records } = parseOrThrow(
    sqsEventSchema,
    event,
    (description) => new InvalidSqsEvent(`not an SQS event: ${description}`),
  );
  return Records.map(({ messageId, body }) => ({ messageId, body }));
}

/** The partial batch response handing back the given messages (none: the whole batch is done). */
export function batchItemFailures(messageIds: readonly string[]): SQSBatchResponse {
  return { batchItemFailures: messageIds.map((itemIdentifier) => ({ itemIdentifier })) };
}
