import { randomUUID } from 'node:crypto';
import { decideLifecycle, type LifecycleEvent, type LifecyclePolicy } from '../lifecycle.ts';
import type { Detection } from '../model.ts';
import { InvalidDetection, normalizeDetection, type NormalizeContext } from '../normalize.ts';
import { detectionsTopicEntry, emailTopicEntry, publishBatches, type DetectionMessage, type SnsPublishEntry } from '../publish.ts';
import { detectionKey, expiresAt } from './keys.ts';
import { CHANNELS, mayDeliver, type Channel, type Outbox, type StoredDetection } from './outbox.ts';

/**
 * One SQS batch of raw detections: each update is decided against the stored record, recorded with its
 * outbox in one conditional write, then fanned out (detections topic for every change; email topic and
 * Slack queue for notifications), and the outbox removed. See outbox.ts for the delivery guarantee.
 *
 * The conditional write makes one delivery win when the same update arrives twice (poll and webhook,
 * or two concurrent batches): the other re-reads, finds the update recorded and stops. An invalid
 * detection is acknowledged and reported, never retried: it cannot become valid by waiting, and
 * keeping it out of the dead-letter queue leaves that queue to the failures worth redriving.
 */

export interface QueueMessage {
  messageId: string;
  body: string;
}

export interface DeliveryStore {
  load(pk: string): Promise<StoredDetection | undefined>;
  saveWithOutbox(pk: string, record: StoredDetection['record'], outbox: Outbox, expiresAt: number): Promise<boolean>;
  replaceOutbox(pk: string, expectedToken: string, outbox: Outbox): Promise<boolean>;
  clearOutbox(pk: string, token: string): Promise<boolean>;
}

export interface FanoutPorts {
  /** Publishes one PublishBatch call's entries; returns the Ids SNS did not accept. Throws when the call failed as a whole. */
  publishBatch(topic: 'detections' | 'email', entries: SnsPublishEntry[]): Promise<Set<string>>;
  /** Enqueues Slack notifications; returns the positions that could not be sent. Absent: Slack is not configured. */
  enqueueSlack?(bodies: string[]): Promise<Set<number>>;
}

export interface ProcessOptions {
  policy: LifecyclePolicy;
  normalize?: NormalizeContext;
  /** Slack's own threshold; defaults to the policy's minRiskScore. */
  slackMinRiskScore?: number;
  now?: () => number;
  /** How long an outbox belongs to the delivery that wrote it before any other may take it over. */
  leaseMs?: number;
}

export type MessageOutcome =
  | 'delivered'
  | 'recorded'
  | 'stale'
  | 'owned-elsewhere'
  | 'rejected'
  | 'failed';

export interface MessageReport {
  messageId: string;
  outcome: MessageOutcome;
  detectionId?: string;
  modTime?: number;
  event?: LifecycleEvent;
  notified?: boolean;
  error?: string;
}

export interface BatchResult {
  /** Message ids to return in batchItemFailures: only they are redelivered. */
  failed: string[];
  reports: MessageReport[];
  rejected: { messageId: string; id?: string; error: string }[];
}

export const DEFAULT_LEASE_MS = 15 * 60 * 1000;
const DECIDE_ATTEMPTS = 4;

interface Delivery {
  messageId: string;
  pk: string;
  outbox: Outbox;
  message: DetectionMessage;
  /** Channels sent by this invocation. */
  sent: Set<Channel>;
  failed: boolean;
}

type Prepared = { kind: 'deliver'; delivery: Delivery; report: MessageReport } | { kind: 'done'; report: MessageReport };

function rawId(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const id = (body as Record<string, unknown>).id;
  return typeof id === 'number' || (typeof id === 'string' && /^\d{1,20}$/.test(id)) ? String(id) : undefined;
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

function parseOutboxMessage(outbox: Outbox): DetectionMessage {
  return JSON.parse(outbox.message) as DetectionMessage;
}

/** Decides and records one update, or resumes an outbox this delivery may send. */
async function prepare(message: QueueMessage, store: DeliveryStore, options: ProcessOptions, now: number): Promise<Prepared> {
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const d = readMessage(message, options.normalize ?? {});
  const pk = detectionKey(d);
  const base: MessageReport = { messageId: message.messageId, outcome: 'failed', detectionId: d.id, modTime: d.modTime };
  for (let attempt = 0; attempt < DECIDE_ATTEMPTS; attempt++) {
    const stored = await store.load(pk);
    const pending = stored?.outbox;
    if (pending) {
      if (!mayDeliver(pending, message.messageId, now)) {
        // Another delivery is sending it. The same or an older update: that delivery covers it.
        // A newer one waits (redelivery) until the outbox is gone, as a record holds one outbox at a time.
        if (d.modTime <= pending.modTime) return { kind: 'done', report: { ...base, outcome: 'owned-elsewhere' } };
        return { kind: 'done', report: { ...base, outcome: 'failed', error: 'an earlier update of this detection is still being delivered' } };
      }
      let outbox = pending;
      if (pending.claimedBy !== message.messageId) {
        outbox = { ...pending, token: randomUUID(), claimedBy: message.messageId, claimedUntil: now + leaseMs };
        if (!(await store.replaceOutbox(pk, pending.token, outbox))) continue;
      }
      const resumed = parseOutboxMessage(outbox);
      const delivery: Delivery = { messageId: message.messageId, pk, outbox, message: resumed, sent: new Set(outbox.sent), failed: false };
      const report: MessageReport = { ...base, outcome: 'delivered', modTime: outbox.modTime, event: resumed.event, notified: outbox.notify };
      if (d.modTime > outbox.modTime) {
        // Send what was owed first; this update is decided on redelivery, against a record without outbox.
        delivery.failed = true;
        report.error = 'delivered an earlier update first';
      }
      return { kind: 'deliver', delivery, report };
    }

    const decision = decideLifecycle(stored?.record, d, options.policy, now);
    if (decision.event === 'stale') return { kind: 'done', report: { ...base, outcome: 'stale', event: 'stale' } };
    const entry = detectionsTopicEntry(d, decision.event, decision.reasons);
    const outbox: Outbox = {
      token: randomUUID(),
      modTime: d.modTime,
      message: entry.Message,
      notify: decision.notify,
      sent: [],
      claimedBy: message.messageId,
      claimedUntil: now + leaseMs,
    };
    if (await store.saveWithOutbox(pk, decision.record, outbox, expiresAt(now))) {
      const delivery: Delivery = { messageId: message.messageId, pk, outbox, message: parseOutboxMessage(outbox), sent: new Set(), failed: false };
      return { kind: 'deliver', delivery, report: { ...base, outcome: 'delivered', event: decision.event, notified: decision.notify } };
    }
    // Lost a race with another delivery of this detection: decide again against what it wrote.
  }
  return { kind: 'done', report: { ...base, outcome: 'failed', error: `the record kept changing (${DECIDE_ATTEMPTS} attempts)` } };
}

function channelsOf(delivery: Delivery, options: ProcessOptions, slackConfigured: boolean): Channel[] {
  const wanted: Channel[] = ['detections'];
  if (delivery.outbox.notify) {
    wanted.push('email');
    const slackMin = options.slackMinRiskScore ?? options.policy.minRiskScore;
    if (slackConfigured && delivery.message.detection.riskScore >= slackMin) wanted.push('slack');
  }
  return wanted;
}

async function publishTopic(topic: 'detections' | 'email', items: { delivery: Delivery; entry: SnsPublishEntry }[], fanout: FanoutPorts): Promise<void> {
  // Entry ids only need to be unique per call; positional ids map failures back to their delivery.
  const entries = items.map((item, i) => ({ ...item.entry, Id: `e${i}` }));
  const byId = new Map(entries.map((e, i) => [e.Id, items[i]!.delivery]));
  for (const batch of publishBatches(entries)) {
    let failedIds: Set<string>;
    try {
      failedIds = await fanout.publishBatch(topic, batch);
    } catch {
      failedIds = new Set(batch.map((e) => e.Id));
    }
    for (const e of batch) {
      const delivery = byId.get(e.Id)!;
      if (failedIds.has(e.Id)) delivery.failed = true;
      else delivery.sent.add(topic);
    }
  }
}

async function fanOut(deliveries: Delivery[], fanout: FanoutPorts, options: ProcessOptions): Promise<void> {
  const slackConfigured = fanout.enqueueSlack !== undefined;
  const owed = deliveries.map((delivery) => ({ delivery, channels: channelsOf(delivery, options, slackConfigured).filter((c) => !delivery.sent.has(c)) }));
  const machine = owed.filter((o) => o.channels.includes('detections')).map((o) => ({ delivery: o.delivery, entry: detectionsTopicEntry(o.delivery.message.detection, o.delivery.message.event, o.delivery.message.reasons) }));
  const email = owed.filter((o) => o.channels.includes('email')).map((o) => ({ delivery: o.delivery, entry: emailTopicEntry(o.delivery.message.detection, o.delivery.message.event, o.delivery.message.reasons) }));
  await publishTopic('detections', machine, fanout);
  await publishTopic('email', email, fanout);
  const slack = owed.filter((o) => o.channels.includes('slack'));
  if (slack.length > 0 && fanout.enqueueSlack) {
    const bodies = slack.map((o) => JSON.stringify({ detection: o.delivery.message.detection, event: o.delivery.message.event, reasons: o.delivery.message.reasons }));
    let failed: Set<number>;
    try {
      failed = await fanout.enqueueSlack(bodies);
    } catch {
      failed = new Set(bodies.map((_, i) => i));
    }
    slack.forEach((o, i) => {
      if (failed.has(i)) o.delivery.failed = true;
      else o.delivery.sent.add('slack');
    });
  }
}

/** Records the outcome: the outbox goes when complete, else it keeps what was sent for the redelivery. */
async function settle(delivery: Delivery, store: DeliveryStore, options: ProcessOptions, slackConfigured: boolean): Promise<boolean> {
  const complete = channelsOf(delivery, options, slackConfigured).every((c) => delivery.sent.has(c));
  if (complete && !delivery.failed) {
    await store.clearOutbox(delivery.pk, delivery.outbox.token);
    return true;
  }
  if (complete) {
    await store.clearOutbox(delivery.pk, delivery.outbox.token);
    return false;
  }
  const sent = CHANNELS.filter((c) => delivery.sent.has(c));
  if (sent.length > delivery.outbox.sent.length) await store.replaceOutbox(delivery.pk, delivery.outbox.token, { ...delivery.outbox, sent });
  return false;
}

export async function processBatch(messages: readonly QueueMessage[], store: DeliveryStore, fanout: FanoutPorts, options: ProcessOptions): Promise<BatchResult> {
  const now = (options.now ?? Date.now)();
  const reports: MessageReport[] = [];
  const rejected: BatchResult['rejected'] = [];
  const deliveries: { delivery: Delivery; report: MessageReport }[] = [];
  // One at a time: two updates of one detection in the same batch must see each other's writes.
  for (const message of messages) {
    try {
      const prepared = await prepare(message, store, options, now);
      if (prepared.kind === 'deliver') deliveries.push(prepared);
      else reports.push(prepared.report);
    } catch (error) {
      if (error instanceof InvalidDetection) {
        let id: string | undefined;
        try {
          id = rawId(JSON.parse(message.body));
        } catch {
          id = undefined;
        }
        rejected.push(id === undefined ? { messageId: message.messageId, error: error.message } : { messageId: message.messageId, id, error: error.message });
        reports.push({ messageId: message.messageId, outcome: 'rejected', ...(id ? { detectionId: id } : {}), error: error.message });
      } else {
        reports.push({ messageId: message.messageId, outcome: 'failed', error: `${(error as Error)?.name}: ${(error as Error)?.message}` });
      }
    }
  }

  await fanOut(deliveries.map((d) => d.delivery), fanout, options);
  for (const { delivery, report } of deliveries) {
    let ok: boolean;
    try {
      ok = await settle(delivery, store, options, fanout.enqueueSlack !== undefined);
    } catch (error) {
      ok = false;
      report.error = `${(error as Error)?.name}: ${(error as Error)?.message}`;
    }
    if (!ok) {
      report.outcome = 'failed';
      report.error ??= `not delivered to ${channelsOf(delivery, options, fanout.enqueueSlack !== undefined).filter((c) => !delivery.sent.has(c)).join(', ')}`;
    } else if (!delivery.outbox.notify && report.outcome === 'delivered') {
      report.outcome = 'recorded';
    }
    reports.push(report);
  }
  const order = new Map(messages.map((m, i) => [m.messageId, i]));
  reports.sort((a, b) => (order.get(a.messageId) ?? 0) - (order.get(b.messageId) ?? 0));
  return { failed: reports.filter((r) => r.outcome === 'failed').map((r) => r.messageId), reports, rejected };
}
