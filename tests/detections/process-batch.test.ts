import { describe, expect, test } from '@jest/globals';
import { BatchRounds } from '../../src/detections/ingest/batch-rounds.ts';
import { CLAIM_ATTEMPTS, claimUpdate, leaseOutbox, standAside } from '../../src/detections/ingest/claim.ts';
import type { Delivery, Pending, ProcessOptions, QueueMessage } from '../../src/detections/ingest/delivery.ts';
import { enqueueForSlack, fanOut, markChannel, publishToTopic } from '../../src/detections/ingest/fan-out.ts';
import { detectionKey } from '../../src/detections/ingest/keys.ts';
import type { Outbox } from '../../src/detections/ingest/outbox.ts';
import { processBatch } from '../../src/detections/ingest/process-batch.ts';
import { conclude, settle } from '../../src/detections/ingest/settle.ts';
import { DEFAULT_LIFECYCLE_POLICY } from '../../src/detections/lifecycle.ts';
import type { Detection } from '../../src/detections/model.ts';
import { normalizeDetection } from '../../src/detections/normalize.ts';
import { detectionsTopicEntry, type DetectionMessage } from '../../src/detections/publish.ts';
import { MemoryDeliveryStore, memoryFanout } from './fixtures/delivery-ports.ts';
import { APPLIANCE_URL, RDP_BRUTE_FORCE, rawSamples } from './fixtures/samples.ts';

const NOW = 1_750_000_000_000;
const LEASE_MS = 60_000;
const options: ProcessOptions = {
  policy: DEFAULT_LIFECYCLE_POLICY,
  normalize: { applianceUrl: APPLIANCE_URL },
  now: () => NOW,
  leaseMs: LEASE_MS,
};

/** A raw detection as the appliance sends it. */
const raw = (id: number, modTime: number, riskScore = 85) => ({
  ...rawSamples()[RDP_BRUTE_FORCE],
  id,
  mod_time: modTime,
  update_time: modTime,
  risk_score: riskScore,
});
const queueMessage = (messageId: string, id: number, modTime: number, riskScore = 85): QueueMessage => ({
  messageId,
  body: JSON.stringify(raw(id, modTime, riskScore)),
});
const detection = (id: number, modTime: number, riskScore = 85): Detection =>
  normalizeDetection(raw(id, modTime, riskScore), { applianceUrl: APPLIANCE_URL });
const pending = (messageId: string, id: number, modTime: number, position = 0, riskScore = 85): Pending => {
  const d = detection(id, modTime, riskScore);
  return {
    message: queueMessage(messageId, id, modTime, riskScore),
    detection: d,
    pk: detectionKey(d),
    position,
    deferred: false,
  };
};

/** An outbox as a delivery of `claimedBy` left it. */
const outboxOf = (d: Detection, claimedBy: string, claimedUntil: number, sent: Outbox['sent'] = []): Outbox => ({
  token: `token-${claimedBy}`,
  modTime: d.modTime,
  message: detectionsTopicEntry(d, 'new').Message,
  notify: true,
  sent,
  claimedBy,
  claimedUntil,
});
const recordOf = (d: Detection) =>
  ({ modTime: d.modTime, riskScore: d.riskScore, status: d.status, participants: [] }) as never;

function deliveryFor(d: Detection, notify = true): Delivery {
  const outbox = { ...outboxOf(d, 'm-1', NOW + LEASE_MS), notify };
  return {
    messageId: 'm-1',
    pk: detectionKey(d),
    outbox,
    message: JSON.parse(outbox.message) as DetectionMessage,
    sent: new Set(),
    parked: [],
    failed: false,
    deferred: false,
  };
}

describe('BatchRounds', () => {
  test('one message per detection is one round, in batch order', () => {
    const rounds = new BatchRounds([pending('c', 3, 1, 2), pending('a', 1, 1, 0), pending('b', 2, 1, 1)]);
    expect(rounds.next().map((p) => p.message.messageId)).toEqual(['a', 'b', 'c']);
    expect(rounds.next()).toEqual([]);
  });

  test('updates of one detection go in successive rounds, in batch order', () => {
    const rounds = new BatchRounds([
      pending('a1', 1, 1, 0),
      pending('b', 2, 1, 1),
      pending('a2', 1, 2, 2),
      pending('a3', 1, 3, 3),
    ]);
    expect(
      [rounds.next(), rounds.next(), rounds.next(), rounds.next()].map((r) => r.map((p) => p.message.messageId)),
    ).toEqual([['a1', 'b'], ['a2'], ['a3'], []]);
  });

  test("a message put back goes first in its detection's next round", () => {
    const rounds = new BatchRounds([pending('a1', 1, 1, 0), pending('a2', 1, 2, 1)]);
    const [first] = rounds.next();
    rounds.again({ ...first!, deferred: true });
    expect(rounds.next().map((p) => [p.message.messageId, p.deferred])).toEqual([['a1', true]]);
    expect(rounds.next().map((p) => p.message.messageId)).toEqual(['a2']);
  });
});

describe('claimUpdate', () => {
  test('a new detection is decided and recorded with an outbox this message holds for the lease', async () => {
    const store = new MemoryDeliveryStore();
    const p = pending('m-1', 7, 1000);
    const claim = await claimUpdate(p, store, options, NOW);
    expect(claim).toMatchObject({
      kind: 'deliver',
      report: { messageId: 'm-1', outcome: 'delivered', event: 'new', notified: true, detectionId: '7', modTime: 1000 },
    });
    expect(store.items.get(p.pk)?.outbox).toMatchObject({
      claimedBy: 'm-1',
      claimedUntil: NOW + LEASE_MS,
      modTime: 1000,
      sent: [],
      notify: true,
    });
  });

  test('the same update once delivered is stale, and nothing is written', async () => {
    const store = new MemoryDeliveryStore();
    const p = pending('m-1', 7, 1000);
    await claimUpdate(p, store, options, NOW);
    const pk = p.pk;
    delete store.items.get(pk)!.outbox;
    store.writes.length = 0;
    expect(await claimUpdate(pending('m-2', 7, 1000), store, options, NOW)).toMatchObject({
      kind: 'done',
      report: { outcome: 'stale', event: 'stale' },
    });
    expect(store.writes).toEqual([]);
  });

  test('an outbox another delivery holds: the same update is covered by it, a newer one waits', async () => {
    const store = new MemoryDeliveryStore();
    const d = detection(7, 1000);
    store.items.set(detectionKey(d), { record: recordOf(d), outbox: outboxOf(d, 'other', NOW + 1) });
    expect(await claimUpdate(pending('m-1', 7, 1000), store, options, NOW)).toMatchObject({
      kind: 'done',
      report: { outcome: 'owned-elsewhere' },
    });
    expect(await claimUpdate(pending('m-1', 7, 2000), store, options, NOW)).toMatchObject({
      kind: 'done',
      report: { outcome: 'failed', error: 'an earlier update of this detection is still being delivered' },
    });
    expect(store.writes).toEqual([]);
  });

  test('an outbox whose lease ran out is taken over with a new token; a newer message sends it first, deferred', async () => {
    const store = new MemoryDeliveryStore();
    const d = detection(7, 1000);
    store.items.set(detectionKey(d), { record: recordOf(d), outbox: outboxOf(d, 'gone', NOW, ['detections']) });
    const claim = await claimUpdate(pending('m-1', 7, 2000), store, options, NOW);
    if (claim.kind !== 'deliver') throw new Error('expected a delivery');
    expect(claim.delivery).toMatchObject({ deferred: true, sent: new Set(['detections']) });
    expect(claim.report).toMatchObject({ outcome: 'delivered', modTime: 1000, event: 'new' });
    expect(store.items.get(detectionKey(d))?.outbox).toMatchObject({ claimedBy: 'm-1', claimedUntil: NOW + LEASE_MS });
    expect(store.items.get(detectionKey(d))?.outbox?.token).not.toBe('token-gone');
  });

  test('its own redelivery resumes the outbox without writing', async () => {
    const store = new MemoryDeliveryStore();
    const d = detection(7, 1000);
    store.items.set(detectionKey(d), { record: recordOf(d), outbox: outboxOf(d, 'm-1', NOW + LEASE_MS) });
    expect(await claimUpdate(pending('m-1', 7, 1000), store, options, NOW)).toMatchObject({
      kind: 'deliver',
      delivery: { deferred: false },
    });
    expect(store.writes).toEqual([]);
  });

  test('a record that changes under every write is handed back after a bounded number of reads', async () => {
    const store = new MemoryDeliveryStore();
    let loads = 0;
    const racing = {
      ...store,
      load: async () => void loads++,
      saveWithOutbox: async () => false,
    } as unknown as MemoryDeliveryStore;
    expect(await claimUpdate(pending('m-1', 7, 1000), racing, options, NOW)).toMatchObject({
      kind: 'done',
      report: { outcome: 'failed', error: `the record kept changing (${CLAIM_ATTEMPTS} attempts)` },
    });
    expect(loads).toBe(CLAIM_ATTEMPTS);
  });

  test('standAside and leaseOutbox', () => {
    const owed = outboxOf(detection(7, 1000), 'other', NOW);
    expect(standAside(owed, 999)).toEqual({ outcome: 'owned-elsewhere' });
    expect(standAside(owed, 1001).outcome).toBe('failed');
    const leased = leaseOutbox(owed, 'm-9', NOW, 5);
    expect(leased).toMatchObject({ claimedBy: 'm-9', claimedUntil: NOW + 5, sent: owed.sent, modTime: owed.modTime });
    expect(leased.token).not.toBe(owed.token);
  });
});

describe('fan-out', () => {
  test('markChannel: refused for good is parked and counts as sent; refused for now fails the delivery', () => {
    const delivery = deliveryFor(detection(7, 1000));
    markChannel(delivery, 'detections', undefined);
    markChannel(delivery, 'email', { permanent: true, reason: 'InvalidParameter: too long' });
    markChannel(delivery, 'slack', { permanent: false, reason: 'InternalError' });
    expect([...delivery.sent]).toEqual(['detections', 'email']);
    expect(delivery.parked).toEqual([{ channel: 'email', reason: 'InvalidParameter: too long' }]);
    expect(delivery.failed).toBe(true);
  });

  test('a PublishBatch call refused whole for its content is split, and only the culprit is parked', async () => {
    const deliveries = [1, 2, 3].map((id) => deliveryFor(detection(id, 1000)));
    const tooLong = Object.assign(new Error('too long'), { name: 'BatchRequestTooLong' });
    const fanout = memoryFanout({
      failCall: (_, entries) => (entries.length > 1 || entries[0]!.Message.includes('"id":"2"') ? tooLong : undefined),
      permanentCall: (error) => (error as Error).name === 'BatchRequestTooLong',
    });
    await publishToTopic(
      'detections',
      deliveries.map((d) => ({ delivery: d, entry: detectionsTopicEntry(d.message.detection, 'new') })),
      fanout.ports,
    );
    expect(fanout.calls.map((c) => c.messages.length)).toEqual([3, 1, 1, 1]);
    expect(deliveries.map((d) => d.parked.map((p) => p.reason))).toEqual([[], ['BatchRequestTooLong: too long'], []]);
    expect(deliveries.every((d) => d.sent.has('detections') && !d.failed)).toBe(true);
  });

  test('a PublishBatch call that fails for a passing reason fails each of its deliveries', async () => {
    const deliveries = [1, 2].map((id) => deliveryFor(detection(id, 1000)));
    const fanout = memoryFanout({ failCall: () => Object.assign(new Error('slow down'), { name: 'Throttling' }) });
    await publishToTopic(
      'email',
      deliveries.map((d) => ({ delivery: d, entry: detectionsTopicEntry(d.message.detection, 'new') })),
      fanout.ports,
    );
    expect(deliveries.map((d) => [d.failed, d.sent.size, d.parked.length])).toEqual([
      [true, 0, 0],
      [true, 0, 0],
    ]);
  });

  test('the Slack queue refusing the whole call leaves every notification to retry', async () => {
    const deliveries = [1, 2].map((id) => deliveryFor(detection(id, 1000)));
    await enqueueForSlack(deliveries, async () => {
      throw Object.assign(new Error('down'), { name: 'QueueUnavailable' });
    });
    expect(deliveries.map((d) => d.failed)).toEqual([true, true]);
  });

  test('each delivery goes where it is owed: a notification to every channel, a minor update to the detections topic only', async () => {
    const notified = deliveryFor(detection(1, 1000, 85));
    const recorded = deliveryFor(detection(2, 1000, 85), false);
    const lowRisk = deliveryFor(detection(3, 1000, 40));
    const fanout = memoryFanout();
    await fanOut([notified, recorded, lowRisk], fanout.ports, { ...options, slackMinRiskScore: 50 });
    expect(fanout.delivered('detections')).toEqual(['1', '2', '3']);
    expect(fanout.calls.filter((c) => c.topic === 'email').map((c) => c.messages.length)).toEqual([2]);
    expect(fanout.delivered('slack')).toEqual(['1']);
  });

  test('what a delivery already sent is not sent again; without a Slack queue nothing goes to Slack', async () => {
    const delivery = deliveryFor(detection(1, 1000));
    delivery.sent.add('detections');
    const fanout = memoryFanout({ slack: false });
    await fanOut([delivery], fanout.ports, options);
    expect(fanout.calls.map((c) => c.topic)).toEqual(['email']);
  });
});

describe('settle and conclude', () => {
  test('complete: the outbox is cleared; incomplete: it keeps what was sent', async () => {
    const store = new MemoryDeliveryStore();
    const d = detection(1, 1000);
    const delivery = deliveryFor(d);
    store.items.set(delivery.pk, { record: recordOf(d), outbox: delivery.outbox });
    delivery.sent.add('detections');
    expect(await settle(delivery, store, options, false)).toBe(false);
    expect(store.items.get(delivery.pk)?.outbox?.sent).toEqual(['detections']);
    delivery.sent.add('email');
    expect(await settle(delivery, store, options, false)).toBe(true);
    expect(store.items.get(delivery.pk)?.outbox).toBeUndefined();
  });

  test('conclude: a deferred message goes again once; otherwise its report is final', () => {
    const d = detection(1, 1000);
    const deferred = { ...deliveryFor(d), deferred: true };
    const report = () => ({ messageId: 'm-1', outcome: 'delivered' as const });
    expect(conclude(report(), deferred, true, false, [])).toBe('again');
    const second = report();
    expect(conclude(second, deferred, true, true, [])).toBe('final');
    expect(second).toMatchObject({ outcome: 'failed', error: 'delivered an earlier update first' });
    const unsent = report();
    conclude(unsent, deliveryFor(d), false, false, ['email', 'slack']);
    expect(unsent).toMatchObject({ outcome: 'failed', error: 'not delivered to email, slack' });
    const minor = report();
    conclude(minor, deliveryFor(d, false), true, false, []);
    expect(minor.outcome).toBe('recorded');
  });
});

describe('processBatch with in-memory ports', () => {
  test('two updates of one detection in a batch: two rounds, both told in order, nothing handed back', async () => {
    const store = new MemoryDeliveryStore();
    const fanout = memoryFanout();
    const result = await processBatch(
      [queueMessage('a1', 1, 1000, 40), queueMessage('b', 2, 1000), queueMessage('a2', 1, 2000, 85)],
      store,
      fanout.ports,
      options,
    );
    expect(result.failed).toEqual([]);
    expect(result.reports.map((r) => [r.messageId, r.outcome, r.event])).toEqual([
      ['a1', 'delivered', 'new'],
      ['b', 'delivered', 'new'],
      ['a2', 'delivered', 'escalated'],
    ]);
    expect(fanout.delivered('detections')).toEqual(['1', '2', '1']);
    expect([...store.items.values()].every((item) => item.outbox === undefined)).toBe(true);
  });

  test('an invalid detection is rejected with its id; the others go on', async () => {
    const result = await processBatch(
      [{ messageId: 'bad', body: JSON.stringify({ id: 99, risk_score: 'high' }) }, queueMessage('ok', 1, 1000)],
      new MemoryDeliveryStore(),
      memoryFanout().ports,
      options,
    );
    expect(result.rejected).toEqual([{ messageId: 'bad', id: '99', error: expect.any(String) }]);
    expect(result.reports.map((r) => r.outcome)).toEqual(['rejected', 'delivered']);
    expect(result.failed).toEqual([]);
  });

  test('a channel failing for now: handed back, and the redelivery sends only what is missing', async () => {
    const store = new MemoryDeliveryStore();
    let emailDown = true;
    const fanout = memoryFanout({
      refuse: (topic) =>
        topic === 'email' && emailDown ? { permanent: false, reason: 'InternalError: down' } : undefined,
    });
    const batch = [queueMessage('m-1', 1, 1000)];
    const first = await processBatch(batch, store, fanout.ports, options);
    expect(first.failed).toEqual(['m-1']);
    expect(first.reports[0]).toMatchObject({ outcome: 'failed', error: 'not delivered to email' });
    emailDown = false;
    fanout.calls.length = 0;
    const again = await processBatch(batch, store, fanout.ports, options);
    expect(again.failed).toEqual([]);
    expect(fanout.calls.map((c) => c.topic)).toEqual(['email']);
  });

  test('a channel refusing an update for good: parked and reported, the message acknowledged', async () => {
    const fanout = memoryFanout({
      refuse: (topic) => (topic === 'slack' ? { permanent: true, reason: 'InvalidMessageContents: no' } : undefined),
    });
    const result = await processBatch([queueMessage('m-1', 1, 1000)], new MemoryDeliveryStore(), fanout.ports, options);
    expect(result.failed).toEqual([]);
    expect(result.parked).toEqual([
      { messageId: 'm-1', detectionId: '1', modTime: 1000, channel: 'slack', reason: 'InvalidMessageContents: no' },
    ]);
  });
});
