import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { QueuedMessage, QueueRecord, Queues } from './sqs.ts';

/**
 * A Lambda SQS event source mapping over an emulated queue, as AWS documents it:
 * https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html and services-sqs-scaling.html.
 *
 * - Up to MaximumConcurrency pollers (2-1000) each gather a batch (BatchSize records, or what arrived
 *   within MaximumBatchingWindowInSeconds) and invoke the function with it, one batch at a time.
 * - Event source mappings do not account for reserved concurrency: a poller whose batch would exceed
 *   the function's reserved concurrency is throttled. The records were received (their receive
 *   count went up) and come back only after the visibility timeout; with a RedrivePolicy they move
 *   toward the dead-letter queue without the function ever seeing them. Whether the real mapping
 *   also retries a throttled invoke within that time is not documented: this model does not, the
 *   worst case, so a configuration shown free of throttles here is free of them either way.
 * - With ReportBatchItemFailures, the records the response names stay in the queue (visible again
 *   after the visibility timeout); the others are deleted. An invocation that throws keeps them all.
 * - Each concurrent invocation runs in its own container, reused when idle (per-container state,
 *   such as a pacing clock, carries over between its batches). Lambda may also start a new container
 *   for any invocation: `reuseContainers: false` gives every invocation a fresh one, so code is
 *   shown correct under both.
 */

export interface EventSourceSettings {
  batchSize: number;
  maximumBatchingWindowSeconds: number;
  maximumConcurrency: number;
  /** The function's ReservedConcurrentExecutions; undefined: unreserved (not throttled here). */
  reservedConcurrency?: number;
  functionTimeoutSeconds: number;
}

export type SqsFunction = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

export interface EventSourceClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface EventSourceReport {
  invocations: number;
  /** Batches (and their records) refused because the function was at its reserved concurrency. */
  throttledBatches: number;
  throttledRecords: number;
  /** Message ids the function was invoked with, at least once. */
  tried: Set<string>;
  deleted: number;
}

/** How often an idle poller asks again (long polling answers at once when a message arrives). */
const IDLE_POLL_MS = 1000;
/** ReceiveMessage returns at most 10 messages per call. */
const RECEIVE_MAX = 10;

function recordOf(message: QueuedMessage, queue: QueueRecord): SQSEvent['Records'][number] {
  return {
    messageId: message.messageId,
    receiptHandle: message.receiptHandle!,
    body: message.body,
    attributes: {
      ApproximateReceiveCount: String(message.receiveCount),
      SentTimestamp: String(message.sentAt),
      SenderId: 'AIDAEMULATOR',
      ApproximateFirstReceiveTimestamp: String(message.sentAt),
    },
    messageAttributes: {},
    md5OfBody: message.md5OfBody,
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:us-east-1:123456789012:${queue.name}`,
    awsRegion: 'us-east-1',
  };
}

function contextOf(functionName: string, deadline: number, clock: EventSourceClock, requestId: number): Context {
  return {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: `req-${requestId}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'emulated',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => deadline - clock.now(),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * Runs the mapping until `finished()` is true, checked between polls. `newContainer` makes one
 * container's handler (called once per container).
 */
export async function runSqsEventSource(options: {
  queues: Queues;
  queue: QueueRecord;
  settings: EventSourceSettings;
  newContainer: () => SqsFunction;
  clock: EventSourceClock & { actor<T>(fn: () => Promise<T>): Promise<T> };
  finished: () => boolean;
  functionName?: string;
  /** False: a new container for every invocation (Lambda does not promise to reuse one). */
  reuseContainers?: boolean;
}): Promise<EventSourceReport> {
  const { queues, queue, settings, clock } = options;
  if (
    !Number.isInteger(settings.maximumConcurrency) ||
    settings.maximumConcurrency < 2 ||
    settings.maximumConcurrency > 1000
  ) {
    throw new RangeError(`MaximumConcurrency ${settings.maximumConcurrency}: must be 2 to 1000`);
  }
  const report: EventSourceReport = {
    invocations: 0,
    throttledBatches: 0,
    throttledRecords: 0,
    tried: new Set(),
    deleted: 0,
  };
  const idle: SqsFunction[] = [];
  let running = 0;

  async function gather(): Promise<QueuedMessage[]> {
    const batch: QueuedMessage[] = [];
    const windowEnds = clock.now() + settings.maximumBatchingWindowSeconds * 1000;
    while (batch.length < settings.batchSize) {
      const received = queues.receive(
        queue,
        Math.min(RECEIVE_MAX, settings.batchSize - batch.length),
        queue.visibilityTimeoutSeconds,
      );
      batch.push(...received);
      if (received.length > 0) continue;
      if (batch.length > 0 && clock.now() >= windowEnds) break;
      if (batch.length === 0 && options.finished()) break;
      await clock.sleep(IDLE_POLL_MS);
      if (batch.length === 0 && options.finished()) break;
    }
    return batch;
  }

  async function invoke(batch: QueuedMessage[]): Promise<void> {
    if (settings.reservedConcurrency !== undefined && running >= settings.reservedConcurrency) {
      report.throttledBatches++;
      report.throttledRecords += batch.length;
      return;
    }
    running++;
    const handler = idle.pop() ?? options.newContainer();
    const event: SQSEvent = { Records: batch.map((m) => recordOf(m, queue)) };
    for (const m of batch) report.tried.add(m.messageId);
    report.invocations++;
    const deadline = clock.now() + settings.functionTimeoutSeconds * 1000;
    let failed: Set<string>;
    try {
      const response = await handler(
        event,
        contextOf(options.functionName ?? 'emulated', deadline, clock, report.invocations),
      );
      failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
      if (clock.now() > deadline) failed = new Set(batch.map((m) => m.messageId));
    } catch {
      failed = new Set(batch.map((m) => m.messageId));
    } finally {
      running--;
      if (options.reuseContainers !== false) idle.push(handler);
    }
    for (const m of batch) {
      if (failed.has(m.messageId)) continue;
      queues.delete(queue, m.receiptHandle!);
      report.deleted++;
    }
  }

  const poller = () =>
    clock.actor(async () => {
      while (!options.finished()) {
        const batch = await gather();
        if (batch.length > 0) await invoke(batch);
      }
    });
  await Promise.all(Array.from({ length: settings.maximumConcurrency }, poller));
  return report;
}
