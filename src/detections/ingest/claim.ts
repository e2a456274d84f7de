import { randomUUID } from 'node:crypto';
import { decideLifecycle } from '../lifecycle.ts';
import { detectionsTopicEntry, type DetectionMessage } from '../publish.ts';
import {
  DEFAULT_LEASE_MS,
  type Delivery,
  type DeliveryStore,
  type MessageReport,
  type Pending,
  type ProcessOptions,
} from './delivery.ts';
import { expiresAt } from './keys.ts';
import { mayDeliver, type Outbox, type StoredDetection } from './outbox.ts';

/**
 * The first step of a message's round: it claims the update it is to send. Either its own update is
 * decided and recorded with a new outbox, or the outbox an earlier delivery left is taken over (its
 * lease run out, or the message's own redelivery). Every write is conditional: losing a race to
 * another delivery of the same detection means reading again and deciding against what it wrote.
 */

/** A delivery to send, or the message's report when there is nothing for it to send. */
export type Claim =
  { kind: 'deliver'; delivery: Delivery; report: MessageReport } | { kind: 'done'; report: MessageReport };

/** Reads, then writes conditionally, at most this often before the message is handed back. */
export const CLAIM_ATTEMPTS = 4;

/** What a message does about an outbox another delivery holds and may still be sending. */
export function standAside(owed: Outbox, modTime: number): Pick<MessageReport, 'outcome' | 'error'> {
  // The same or an older update: that delivery covers it. A newer one waits (redelivery) until the
  // outbox is gone, as a record holds one outbox at a time.
  if (modTime <= owed.modTime) return { outcome: 'owned-elsewhere' };
  return { outcome: 'failed', error: 'an earlier update of this detection is still being delivered' };
}

/** The outbox as this message's delivery holds it: a new token, so that the last holder's writes fail. */
export function leaseOutbox(owed: Outbox, messageId: string, now: number, leaseMs: number): Outbox {
  return { ...owed, token: randomUUID(), claimedBy: messageId, claimedUntil: now + leaseMs };
}

function deliveryOf(pending: Pending, outbox: Outbox, deferred: boolean): Delivery {
  const message = JSON.parse(outbox.message) as DetectionMessage;
  return {
    messageId: pending.message.messageId,
    pk: pending.pk,
    outbox,
    message,
    sent: new Set(outbox.sent),
    parked: [],
    failed: false,
    deferred,
  };
}

/** Takes over an outbox this message may send; undefined when another delivery changed it meanwhile. */
async function resumeOutbox(
  pending: Pending,
  owed: Outbox,
  store: DeliveryStore,
  now: number,
  leaseMs: number,
  base: MessageReport,
): Promise<Claim | undefined> {
  let outbox = owed;
  if (owed.claimedBy !== pending.message.messageId) {
    outbox = leaseOutbox(owed, pending.message.messageId, now, leaseMs);
    if (!(await store.replaceOutbox(pending.pk, owed.token, outbox))) return undefined;
  }
  // A newer update sends what was owed first; its own update is decided once that outbox is gone.
  const delivery = deliveryOf(pending, outbox, pending.detection.modTime > outbox.modTime);
  const report: MessageReport = {
    ...base,
    outcome: 'delivered',
    modTime: outbox.modTime,
    event: delivery.message.event,
    notified: outbox.notify,
  };
  return { kind: 'deliver', delivery, report };
}

/** Decides the message's own update against the record and writes both; undefined when another delivery wrote first. */
async function recordUpdate(
  pending: Pending,
  stored: StoredDetection | undefined,
  store: DeliveryStore,
  options: ProcessOptions,
  now: number,
  base: MessageReport,
): Promise<Claim | undefined> {
  const d = pending.detection;
  const decision = decideLifecycle(stored?.record, d, options.policy, now);
  if (decision.event === 'stale') return { kind: 'done', report: { ...base, outcome: 'stale', event: 'stale' } };
  const outbox: Outbox = {
    token: randomUUID(),
    modTime: d.modTime,
    message: detectionsTopicEntry(d, decision.event, decision.reasons).Message,
    notify: decision.notify,
    sent: [],
    claimedBy: pending.message.messageId,
    claimedUntil: now + (options.leaseMs ?? DEFAULT_LEASE_MS),
  };
  if (!(await store.saveWithOutbox(pending.pk, decision.record, outbox, expiresAt(now)))) return undefined;
  return {
    kind: 'deliver',
    delivery: deliveryOf(pending, outbox, false),
    report: { ...base, outcome: 'delivered', event: decision.event, notified: decision.notify },
  };
}

/** Decides and records one update, or resumes an outbox this delivery may send. */
export async function claimUpdate(
  pending: Pending,
  store: DeliveryStore,
  options: ProcessOptions,
  now: number,
): Promise<Claim> {
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const { message, detection: d, pk } = pending;
  const base: MessageReport = {
    messageId: message.messageId,
    outcome: 'failed',
    detectionId: d.id,
    modTime: d.modTime,
  };
  for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
    const stored = await store.load(pk);
    const owed = stored?.outbox;
    let claim: Claim | undefined;
    if (!owed) claim = await recordUpdate(pending, stored, store, options, now, base);
    else if (mayDeliver(owed, message.messageId, now))
      claim = await resumeOutbox(pending, owed, store, now, leaseMs, base);
    else claim = { kind: 'done', report: { ...base, ...standAside(owed, d.modTime) } };
    if (claim) return claim;
  }
  return {
    kind: 'done',
    report: { ...base, outcome: 'failed', error: `the record kept changing (${CLAIM_ATTEMPTS} attempts)` },
  };
}
