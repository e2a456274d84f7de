import type { Detection } from '../model.ts';
import { InvalidDetection, normalizeDetection, type NormalizeContext } from '../normalize.ts';
import { BatchRounds } from './batch-rounds.ts';
import { claimUpdate } from './claim.ts';
import {
  errorText,
  missingChannels,
  type Delivery,
  type DeliveryStore,
  type FanoutPorts,
  type MessageReport,
  type ParkedDelivery,
  type Pending,
  type ProcessOptions,
  type QueueMessage,
} from './delivery.ts';
import { fanOut } from './fan-out.ts';
import { detectionKey } from './keys.ts';
import type { RejectedDetection } from './parking.ts';
import { rawId } from './poll-window.ts';
import { conclude, settle } from './settle.ts';

export {
  DEFAULT_LEASE_MS,
  type DeliveryStore,
  type FanoutPorts,
  type MessageOutcome,
  type MessageReport,
  type ParkedDelivery,
  type ProcessOptions,
  type QueueMessage,
  type SendFailure,
} from './delivery.ts';

/**
 * One SQS batch of raw detections: each update is decided against the stored record, recorded with its
 * outbox in one conditional write, then fanned out (detections topic for every change; email topic and
 * Slack queue for notifications), and the outbox removed. See outbox.ts for the delivery guarantee.
 *
 * The conditional write makes one delivery win when the same update arrives twice (poll and webhook,
 * or two concurrent batches): the other re-reads, finds the update recorded and stops. An invalid
 * detection is acknowledged and reported, never retried: it cannot become valid by waiting, and
 * keeping it out of the dead-letter queue leaves that queue to the failures worth redriving.
 *
 * The batch runs in rounds (batch-rounds.ts), each round claimed (claim.ts), fanned out (fan-out.ts)
 * and settled (settle.ts) before the next. A message that first had to send an earlier update's
 * abandoned outbox has its own update decided in the next round as well. A batch with one message per
 * detection is a single round, with the PublishBatch calls it always had.
 */

export interface BatchResult {
  /** Message ids to return in batchItemFailures: only they are redelivered. */
  failed: string[];
  reports: MessageReport[];
  rejected: RejectedDetection[];
  /** Channels given up on, to report to ops. */
  parked: ParkedDelivery[];
}

/** What a batch has come to so far. */
interface Outcomes {
  reports: MessageReport[];
  rejected: RejectedDetection[];
  parked: ParkedDelivery[];
}

function readMessage(message: QueueMessage, context: NormalizeContext): Detection {
  let body: unknown;
  try {
    body = JSON.parse(message.body);
  } catch {
    throw new InvalidDetection('(root): the message body is not JSON');
  }
  return normalizeDetection(body, context);
}

/** The report of a message that failed with `error`; an invalid detection is rejected (acknowledged and reported). */
export function failureReport(message: QueueMessage, error: unknown, rejected: RejectedDetection[]): MessageReport {
  if (!(error instanceof InvalidDetection))
    return { messageId: message.messageId, outcome: 'failed', error: errorText(error) };
  let id: string | undefined;
  try {
    id = rawId(JSON.parse(message.body));
  } catch {
    id = undefined;
  }
  rejected.push(
    id === undefined
      ? { messageId: message.messageId, error: error.message }
      : { messageId: message.messageId, id, error: error.message },
  );
  return {
    messageId: message.messageId,
    outcome: 'rejected',
    ...(id ? { detectionId: id } : {}),
    error: error.message,
  };
}

/** The readable messages, each waiting for its round; the others are reported at once. */
function readBatch(messages: readonly QueueMessage[], context: NormalizeContext, outcomes: Outcomes): BatchRounds {
  const rounds = new BatchRounds();
  messages.forEach((message, position) => {
    try {
      const detection = readMessage(message, context);
      rounds.add({ message, detection, pk: detectionKey(detection), position, deferred: false });
    } catch (error) {
      outcomes.reports.push(failureReport(message, error, outcomes.rejected));
    }
  });
  return rounds;
}

/** One round: every message claims its update, the claimed ones are fanned out together, then each is settled. */
async function runRound(
  round: readonly Pending[],
  rounds: BatchRounds,
  store: DeliveryStore,
  fanout: FanoutPorts,
  options: ProcessOptions,
  now: number,
  outcomes: Outcomes,
): Promise<void> {
  const slackConfigured = fanout.enqueueSlack !== undefined;
  const claimed: { pending: Pending; delivery: Delivery; report: MessageReport }[] = [];
  for (const pending of round) {
    try {
      const claim = await claimUpdate(pending, store, options, now);
      if (claim.kind === 'deliver') claimed.push({ pending, ...claim });
      else outcomes.reports.push(claim.report);
    } catch (error) {
      outcomes.reports.push(failureReport(pending.message, error, outcomes.rejected));
    }
  }

  await fanOut(
    claimed.map((c) => c.delivery),
    fanout,
    options,
  );
  for (const { pending, delivery, report } of claimed) {
    for (const p of delivery.parked) {
      outcomes.parked.push({
        messageId: pending.message.messageId,
        detectionId: pending.detection.id,
        modTime: delivery.outbox.modTime,
        ...p,
      });
    }
    if (delivery.trimmed) report.trimmed = delivery.trimmed;
    let settled: boolean;
    try {
      settled = await settle(delivery, store, options, slackConfigured);
    } catch (error) {
      settled = false;
      report.error = errorText(error);
    }
    if (
      conclude(report, delivery, settled, pending.deferred, missingChannels(delivery, options, slackConfigured)) ===
      'again'
    )
      rounds.again({ ...pending, deferred: true });
    else outcomes.reports.push(report);
  }
}

export async function processBatch(
  messages: readonly QueueMessage[],
  store: DeliveryStore,
  fanout: FanoutPorts,
  options: ProcessOptions,
): Promise<BatchResult> {
  const now = (options.now ?? Date.now)();
  const outcomes: Outcomes = { reports: [], rejected: [], parked: [] };
  const rounds = readBatch(messages, options.normalize ?? {}, outcomes);
  for (let round = rounds.next(); round.length > 0; round = rounds.next())
    await runRound(round, rounds, store, fanout, options, now, outcomes);

  const order = new Map(messages.map((m, i) => [m.messageId, i]));
  const reports = outcomes.reports.sort((a, b) => (order.get(a.messageId) ?? 0) - (order.get(b.messageId) ?? 0));
  return {
    failed: reports.filter((r) => r.outcome === 'failed').map((r) => r.messageId),
    reports,
    rejected: outcomes.rejected,
    parked: outcomes.parked,
  };
}
