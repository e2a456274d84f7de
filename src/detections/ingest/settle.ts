import {
  missingChannels,
  type Delivery,
  type DeliveryStore,
  type MessageReport,
  type ProcessOptions,
} from './delivery.ts';
import { CHANNELS, type Channel } from './outbox.ts';

/**
 * The last step of a round: the outbox goes once every channel has the update, else it keeps what
 * was sent for the redelivery; then the message's outcome is decided.
 */

/** Records the outcome in the store; true when every channel has the update and none failed. */
export async function settle(
  delivery: Delivery,
  store: DeliveryStore,
  options: ProcessOptions,
  slackConfigured: boolean,
): Promise<boolean> {
  if (missingChannels(delivery, options, slackConfigured).length === 0) {
    await store.clearOutbox(delivery.pk, delivery.outbox.token);
    return !delivery.failed;
  }
  const sent = CHANNELS.filter((c) => delivery.sent.has(c));
  if (sent.length > delivery.outbox.sent.length)
    await store.replaceOutbox(delivery.pk, delivery.outbox.token, { ...delivery.outbox, sent });
  return false;
}

/**
 * What becomes of the message after its delivery settled: `again` when it sent an earlier update's
 * outbox and its own update still waits (once per invocation); else its report is final, failed when
 * something is still owed.
 */
export function conclude(
  report: MessageReport,
  delivery: Delivery,
  settled: boolean,
  alreadyDeferred: boolean,
  missing: readonly Channel[],
): 'again' | 'final' {
  // The earlier update is out and its outbox gone: the message's own update goes in the next round.
  if (settled && delivery.deferred && !alreadyDeferred) return 'again';
  if (!settled || delivery.deferred) {
    report.outcome = 'failed';
    report.error ??= settled ? 'delivered an earlier update first' : `not delivered to ${missing.join(', ')}`;
  } else if (!delivery.outbox.notify && report.outcome === 'delivered') {
    report.outcome = 'recorded';
  }
  return 'final';
}
