import { fittedEmailEntry, storedDetectionsEntry, publishBatches, type SnsPublishEntry } from '../publish.ts';
import {
  missingChannels,
  errorText,
  type Delivery,
  type FanoutPorts,
  type ProcessOptions,
  type SendFailure,
  type TrimmedTopic,
} from './delivery.ts';
import type { Channel } from './outbox.ts';

/**
 * The second step of a round: every delivery's owed channels sent together, one PublishBatch series
 * per topic and one SendMessageBatch series for Slack, and the outcome of each channel marked on its
 * delivery (sent, parked when refused for good, or failed for the redelivery to try again).
 */

type TopicItem = { delivery: Delivery; entry: SnsPublishEntry };

/** Marks the outcome of one channel for one delivery. */
export function markChannel(delivery: Delivery, channel: Channel, failure: SendFailure | undefined): void {
  if (failure === undefined) delivery.sent.add(channel);
  else if (failure.permanent) {
    // Refused for what it is: retrying cannot help, and a held outbox would block every later update.
    delivery.sent.add(channel);
    delivery.parked.push({ channel, reason: failure.reason });
  } else delivery.failed = true;
}

/** One PublishBatch call; a call refused as a whole for its content is split, so that only the culprit is refused. */
async function sendEntries(
  topic: 'detections' | 'email',
  batch: SnsPublishEntry[],
  fanout: FanoutPorts,
): Promise<Map<string, SendFailure>> {
  try {
    return await fanout.publishBatch(topic, batch);
  } catch (error) {
    const permanent = fanout.permanentCall?.(error) === true;
    if (permanent && batch.length > 1) {
      const one = new Map<string, SendFailure>();
      for (const entry of batch)
        for (const [id, failure] of await sendEntries(topic, [entry], fanout)) one.set(id, failure);
      return one;
    }
    return new Map(batch.map((e) => [e.Id, { permanent, reason: errorText(error) }]));
  }
}

/** Publishes each delivery's entry to the topic, in as few calls as SNS's limits allow. */
export async function publishToTopic(
  topic: 'detections' | 'email',
  items: readonly TopicItem[],
  fanout: FanoutPorts,
): Promise<void> {
  // Entry ids only need to be unique per call; positional ids map failures back to their delivery.
  const entries = items.map((item, i) => ({ ...item.entry, Id: `e${i}` }));
  const byId = new Map(entries.map((e, i) => [e.Id, items[i]!.delivery]));
  for (const batch of publishBatches(entries)) {
    const failures = await sendEntries(topic, batch, fanout);
    for (const e of batch) markChannel(byId.get(e.Id)!, topic, failures.get(e.Id));
  }
}

/** Puts each delivery's notification on the Slack queue; a call that fails as a whole leaves all of them to retry. */
export async function enqueueForSlack(
  deliveries: readonly Delivery[],
  enqueue: NonNullable<FanoutPorts['enqueueSlack']>,
): Promise<void> {
  if (deliveries.length === 0) return;
  const bodies = deliveries.map(({ message }) =>
    JSON.stringify({ detection: message.detection, event: message.event, reasons: message.reasons }),
  );
  let failed: Map<number, SendFailure>;
  try {
    failed = await enqueue(bodies);
  } catch (error) {
    failed = new Map(bodies.map((_, i) => [i, { permanent: false, reason: errorText(error) }]));
  }
  deliveries.forEach((delivery, i) => markChannel(delivery, 'slack', failed.get(i)));
}

/** Sends every delivery of a round to the channels it still owes. */
export async function fanOut(
  deliveries: readonly Delivery[],
  fanout: FanoutPorts,
  options: ProcessOptions,
): Promise<void> {
  const owed = deliveries.map((delivery) => ({
    delivery,
    channels: missingChannels(delivery, options, fanout.enqueueSlack !== undefined),
  }));
  const owing = (channel: Channel) => owed.filter((o) => o.channels.includes(channel)).map((o) => o.delivery);
  const trimmed = (delivery: Delivery, topic: TrimmedTopic) => (delivery.trimmed ??= []).push(topic);
  // The outbox keeps the detections-topic message already fitted: its `truncated` says it was cut,
  // and an email of a cut detection is cut too, whether or not its own fitting cut more.
  const detections = owing('detections').map((delivery) => {
    if (delivery.message.truncated) trimmed(delivery, 'detections');
    return { delivery, entry: storedDetectionsEntry(delivery.message) };
  });
  const email = owing('email').map((delivery) => {
    const { detection, event, reasons } = delivery.message;
    const fitted = fittedEmailEntry(detection, event, reasons);
    if (fitted.truncated || delivery.message.truncated) trimmed(delivery, 'email');
    return { delivery, entry: fitted.entry };
  });
  await publishToTopic('detections', detections, fanout);
  await publishToTopic('email', email, fanout);
  if (fanout.enqueueSlack) await enqueueForSlack(owing('slack'), fanout.enqueueSlack);
}
