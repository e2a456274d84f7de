import { randomUUID } from 'node:crypto';
import { decideLifecycle, type LifecycleEvent, type LifecyclePolicy } from '../lifecycle.ts';
import type { Detection } from '../model.ts';
import { InvalidDetection, normalizeDetection, type NormalizeContext } from '../normalize.ts';
import { detectionsTopicEntry, emailTopicEntry, publishBatches, type DetectionMessage, type SnsPublishEntry } from '../publish.ts';
import { detectionKey, expiresAt } from './keys.ts';
import { rawId } from './poll-window.ts';
import type { RejectedDetection } from './parking.ts';
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
 *
 * A record holds one outbox at a time, so a batch runs in rounds with at most one message per
 * detection, each round decided, fanned out and settled before the next: the second update of a
 * detection in the same batch (batch order is kept per detection) is decided in the second round,
 * against the record the first left, instead of waiting for its redelivery. A message that first had to
 * send an earlier update's abandoned outbox has its own update decided in the next round as well. A
 * batch with one message per detection is a single round, with the PublishBatch calls it always had.
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

/** Why one entry was not accepted; `permanent`: the entry itself is refused and sending it again cannot help. */
export interface SendFailure {
  permanent: boolean;
  reason: string;
}

export interface FanoutPorts {
  /**
   * Publishes one PublishBatch call's entries; returns the entries SNS did not accept, by Id. Throws
   * when the call failed as a whole (`permanentCall` tells whether that error is about the entries).
   */
  publishBatch(topic: 'detections' | 'email', entries: SnsPublishEntry[]): Promise<Map<string, SendFailure>>;
  /** Whether an error thrown by publishBatch refuses what was sent (e.g. BatchRequestTooLong) rather than a passing fault. */
  permanentCall?(error: unknown): boolean;
  /** Enqueues Slack notifications; returns the positions that could not be sent. Absent: Slack is not configured. */
  enqueueSlack?(bodies: string[]): Promise<Map<number, SendFailure>>;
}

/** One channel of one update that a channel refused for good: left out so that nothing behind it waits. */
export interface ParkedDelivery {
  messageId: string;
  detectionId: string;
  modTime: number;
  channel: Channel;
  reason: string;
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
  rejected: RejectedDetection[];
  /** Channels given up on, to report to ops. */
  parked: ParkedDelivery[];
}

export const DEFAULT_LEASE_MS = 15 * 60 * 1000;
const DECIDE_ATTEMPTS = 4;

interface Delivery {
  messageId: string;
  pk: string;
  outbox: Outbox;
  message: DetectionMessage;
  /** Channels sent by this invocation, or parked (refused for good). */
  sent: Set<Channel>;
  parked: { channel: Channel; reason: string }[];
  failed: boolean;
  /** The outbox resumed is an earlier update's: the message's own update is still to be decided. */
  deferred: boolean;
}

/** A readable message waiting for its round. */
interface Pending {
  message: QueueMessage;
  detection: Detection;
  pk: string;
  /** Position in the batch: orders each round, and a detection's updates across rounds. */
  position: number;
  /** Already resumed an earlier update's outbox in this invocation. */
  deferred: boolean;
}

type Prepared = { kind: 'deliver'; delivery: Delivery; report: MessageReport } | { kind: 'done'; report: MessageReport };

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
async function prepare(pending: Pending, store: DeliveryStore, options: ProcessOptions, now: number): Promise<Prepared> {
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const { message, detection: d, pk } = pending;
  const base: MessageReport = { messageId: message.messageId, outcome: 'failed', detectionId: d.id, modTime: d.modTime };
  for (let attempt = 0; attempt < DECIDE_ATTEMPTS; attempt++) {
    const stored = await store.load(pk);
    const owed = stored?.outbox;
    if (owed) {
      if (!mayDeliver(owed, message.messageId, now)) {
        // Another delivery is sending it. The same or an older update: that delivery covers it.
        // A newer one waits (redelivery) until the outbox is gone, as a record holds one outbox at a time.
        if (d.modTime <= owed.modTime) return { kind: 'done', report: { ...base, outcome: 'owned-elsewhere' } };
        return { kind: 'done', report: { ...base, outcome: 'failed', error: 'an earlier update of this detection is still being delivered' } };
      }
      let outbox = owed;
      if (owed.claimedBy !== message.messageId) {
        outbox = { ...owed, token: randomUUID(), claimedBy: message.messageId, claimedUntil: now + leaseMs };
        if (!(await store.replaceOutbox(pk, owed.token, outbox))) continue;
      }
      const resumed = parseOutboxMessage(outbox);
      // A newer update sends what was owed first; its own update is decided once that outbox is gone.
      const deferred = d.modTime > outbox.modTime;
      const delivery: Delivery = { messageId: message.messageId, pk, outbox, message: resumed, sent: new Set(outbox.sent), parked: [], failed: false, deferred };
      const report: MessageReport = { ...base, outcome: 'delivered', modTime: outbox.modTime, event: resumed.event, notified: outbox.notify };
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
      const delivery: Delivery = { messageId: message.messageId, pk, outbox, message: parseOutboxMessage(outbox), sent: new Set(), parked: [], failed: false, deferred: false };
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

/** Marks the outcome of one channel for one delivery. */
function record(delivery: Delivery, channel: Channel, failure: SendFailure | undefined): void {
  if (failure === undefined) delivery.sent.add(channel);
  else if (failure.permanent) {
    // Refused for what it is: retrying cannot help, and a held outbox would block every later update.
    delivery.sent.add(channel);
    delivery.parked.push({ channel, reason: failure.reason });
  } else delivery.failed = true;
}

async function publishTopic(topic: 'detections' | 'email', items: { delivery: Delivery; entry: SnsPublishEntry }[], fanout: FanoutPorts): Promise<void> {
  // Entry ids only need to be unique per call; positional ids map failures back to their delivery.
  const entries = items.map((item, i) => ({ ...item.entry, Id: `e${i}` }));
  const byId = new Map(entries.map((e, i) => [e.Id, items[i]!.delivery]));
  const send = async (batch: SnsPublishEntry[]): Promise<Map<string, SendFailure>> => {
    try {
      return await fanout.publishBatch(topic, batch);
    } catch (error) {
      const reason = `${(error as Error)?.name}: ${(error as Error)?.message}`;
      const permanent = fanout.permanentCall?.(error) === true;
      if (permanent && batch.length > 1) {
        // Refused as a whole for its content: each entry alone, so that only the culprit is parked.
        const one = new Map<string, SendFailure>();
        for (const entry of batch) for (const [id, failure] of await send([entry])) one.set(id, failure);
        return one;
      }
      return new Map(batch.map((e) => [e.Id, { permanent, reason }]));
    }
  };
  for (const batch of publishBatches(entries)) {
    const failures = await send(batch);
    for (const e of batch) record(byId.get(e.Id)!, topic, failures.get(e.Id));
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
    let failed: Map<number, SendFailure>;
    try {
      failed = await fanout.enqueueSlack(bodies);
    } catch (error) {
      failed = new Map(bodies.map((_, i) => [i, { permanent: false, reason: `${(error as Error)?.name}: ${(error as Error)?.message}` }]));
    }
    slack.forEach((o, i) => record(o.delivery, 'slack', failed.get(i)));
  }
}

/** Records the outcome: the outbox goes when complete, else it keeps what was sent for the redelivery. */
async function settle(delivery: Delivery, store: DeliveryStore, options: ProcessOptions, slackConfigured: boolean): Promise<boolean> {
  const complete = channelsOf(delivery, options, slackConfigured).every((c) => delivery.sent.has(c));
  if (complete) {
    await store.clearOutbox(delivery.pk, delivery.outbox.token);
    return !delivery.failed;
  }
  const sent = CHANNELS.filter((c) => delivery.sent.has(c));
  if (sent.length > delivery.outbox.sent.length) await store.replaceOutbox(delivery.pk, delivery.outbox.token, { ...delivery.outbox, sent });
  return false;
}

function failureReport(message: QueueMessage, error: unknown, rejected: BatchResult['rejected']): MessageReport {
  if (error instanceof InvalidDetection) {
    let id: string | undefined;
    try {
      id = rawId(JSON.parse(message.body));
    } catch {
      id = undefined;
    }
    rejected.push(id === undefined ? { messageId: message.messageId, error: error.message } : { messageId: message.messageId, id, error: error.message });
    return { messageId: message.messageId, outcome: 'rejected', ...(id ? { detectionId: id } : {}), error: error.message };
  }
  return { messageId: message.messageId, outcome: 'failed', error: `${(error as Error)?.name}: ${(error as Error)?.message}` };
}

/** The next round: the first waiting message of each detection, in batch order. */
function nextRound(queues: Map<string, Pending[]>): Pending[] {
  const round: Pending[] = [];
  for (const [pk, queue] of queues) {
    const head = queue.shift();
    if (head) round.push(head);
    if (queue.length === 0) queues.delete(pk);
  }
  return round.sort((a, b) => a.position - b.position);
}

export async function processBatch(messages: readonly QueueMessage[], store: DeliveryStore, fanout: FanoutPorts, options: ProcessOptions): Promise<BatchResult> {
  const now = (options.now ?? Date.now)();
  const slackConfigured = fanout.enqueueSlack !== undefined;
  const reports: MessageReport[] = [];
  const rejected: BatchResult['rejected'] = [];
  const parked: ParkedDelivery[] = [];
  const queues = new Map<string, Pending[]>();
  messages.forEach((message, position) => {
    let detection: Detection;
    try {
      detection = readMessage(message, options.normalize ?? {});
    } catch (error) {
      reports.push(failureReport(message, error, rejected));
      return;
    }
    const pk = detectionKey(detection);
    const queue = queues.get(pk) ?? [];
    queue.push({ message, detection, pk, position, deferred: false });
    queues.set(pk, queue);
  });

  for (let round = nextRound(queues); round.length > 0; round = nextRound(queues)) {
    const deliveries: { pending: Pending; delivery: Delivery; report: MessageReport }[] = [];
    for (const pending of round) {
      try {
        const prepared = await prepare(pending, store, options, now);
        if (prepared.kind === 'deliver') deliveries.push({ pending, ...prepared });
        else reports.push(prepared.report);
      } catch (error) {
        reports.push(failureReport(pending.message, error, rejected));
      }
    }

    await fanOut(deliveries.map((d) => d.delivery), fanout, options);
    for (const { pending, delivery, report } of deliveries) {
      for (const p of delivery.parked) {
        parked.push({ messageId: pending.message.messageId, detectionId: pending.detection.id, modTime: delivery.outbox.modTime, ...p });
      }
      let ok: boolean;
      try {
        ok = await settle(delivery, store, options, slackConfigured);
      } catch (error) {
        ok = false;
        report.error = `${(error as Error)?.name}: ${(error as Error)?.message}`;
      }
      if (ok && delivery.deferred && !pending.deferred) {
        // The earlier update is out and its outbox gone: the message's own update goes in the next round.
        const queue = queues.get(pending.pk) ?? [];
        queue.unshift({ ...pending, deferred: true });
        queues.set(pending.pk, queue);
        continue;
      }
      if (!ok || delivery.deferred) {
        report.outcome = 'failed';
        report.error ??= ok ? 'delivered an earlier update first' : `not delivered to ${channelsOf(delivery, options, slackConfigured).filter((c) => !delivery.sent.has(c)).join(', ')}`;
      } else if (!delivery.outbox.notify && report.outcome === 'delivered') {
        report.outcome = 'recorded';
      }
      reports.push(report);
    }
  }
  const order = new Map(messages.map((m, i) => [m.messageId, i]));
  reports.sort((a, b) => (order.get(a.messageId) ?? 0) - (order.get(b.messageId) ?? 0));
  return { failed: reports.filter((r) => r.outcome === 'failed').map((r) => r.messageId), reports, rejected, parked };
}
