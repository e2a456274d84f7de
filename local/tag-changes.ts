import type { Context, SQSEvent } from 'aws-lambda';
import {
  TAG_CHANGES_EVENT_SOURCE,
  TAG_CHANGES_MAX_RECEIVES,
  TAG_CHANGES_TIMEOUT_SECONDS,
  TAG_CHANGES_VISIBILITY_SECONDS,
} from '../deploy/tag-changes.ts';
import { runSqsEventSource, type EventSourceReport } from './emulator/sqs-event-source.ts';
import { Queues } from './emulator/sqs.ts';
import { VirtualTime } from './emulator/virtual-time.ts';

/**
 * The stack's tag-changes queue on the local AWS: the tag rules' events become its messages, and the
 * real coalesceTagChanges reads them as its event source mapping would (deploy/tag-changes.ts: batch
 * size, batching window, pollers, visibility timeout, redrive), on virtual time, so a scenario's
 * batching window costs no wall time. Its StartExecution calls reach the emulated Step Functions API
 * (RECONCILE_STATE_MACHINE_ARN, set by local/environment.ts).
 */

export interface TagChangesRun {
  report: EventSourceReport;
  /** Bodies of the messages parked in the dead-letter queue. */
  deadLetters: string[];
}

export async function deliverTagChanges(events: readonly unknown[]): Promise<TagChangesRun> {
  // Loaded once the local environment is set, as the state machine runner loads its handlers: the
  // logger takes its level (SILENT here) when its module is first imported.
  const { handler } = await import('../functions/coalesce-tag-changes.ts');
  const time = new VirtualTime();
  const queues = new Queues(time.now);
  const queue = queues.create('autotap-local-tag-changes', TAG_CHANGES_VISIBILITY_SECONDS);
  const deadLetters = queues.create('autotap-local-tag-changes-dlq');
  queues.setRedrivePolicy(queue, deadLetters, TAG_CHANGES_MAX_RECEIVES);
  // EventBridge's SQS target sends the event as the message body, as JSON.
  for (const event of events) queues.send(queue, JSON.stringify(event));
  const report = await runSqsEventSource({
    queues,
    queue,
    settings: {
      batchSize: TAG_CHANGES_EVENT_SOURCE.batchSize,
      maximumBatchingWindowSeconds: TAG_CHANGES_EVENT_SOURCE.maximumBatchingWindowSeconds,
      maximumConcurrency: TAG_CHANGES_EVENT_SOURCE.maximumConcurrency,
      functionTimeoutSeconds: TAG_CHANGES_TIMEOUT_SECONDS,
    },
    clock: time,
    finished: () => queue.messages.length === 0,
    newContainer: () => (event: SQSEvent, context: Context) => handler(event, context),
    functionName: 'autotap-local-coalesceTagChanges',
  });
  return { report, deadLetters: deadLetters.messages.map((m) => m.body) };
}
