import { describeThrown } from '../../thrown.ts';
import type { LifecycleEvent, LifecyclePolicy } from '../lifecycle.ts';
import type { Detection } from '../model.ts';
import type { NormalizeContext } from '../normalize.ts';
import type { DetectionMessage, SnsPublishEntry } from '../publish.ts';
import type { Channel, Outbox, StoredDetection } from './outbox.ts';

/**
 * What the steps of processing a batch of raw detections share (see process-batch.ts): the ports to
 * the store and the channels, the options, and the delivery of one update as it goes through claim,
 * fan-out and settlement.
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
  enqueueSlack?: (bodies: string[]) => Promise<Map<number, SendFailure>>;
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

export const DEFAULT_LEASE_MS = 15 * 60 * 1000;

export type MessageOutcome = 'delivered' | 'recorded' | 'stale' | 'owned-elsewhere' | 'rejected' | 'failed';

export interface MessageReport {
  messageId: string;
  outcome: MessageOutcome;
  detectionId?: string;
  modTime?: number;
  event?: LifecycleEvent;
  notified?: boolean;
  /** Topics that got the update shortened to fit. */
  trimmed?: TrimmedTopic[];
  error?: string;
}

/** A readable message waiting for its round. */
export interface Pending {
  message: QueueMessage;
  detection: Detection;
  pk: string;
  /** Position in the batch: orders each round, and a detection's updates across rounds. */
  position: number;
  /** Already resumed an earlier update's outbox in this invocation. */
  deferred: boolean;
}

/** One update this invocation sends: the outbox it holds, and what each channel made of it. */
export interface Delivery {
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
  /** Topics this invocation sent the update to shortened, visibly, to fit an SNS message. */
  trimmed?: TrimmedTopic[];
}

export type TrimmedTopic = 'detections' | 'email';

/** The channels an update goes to: every change to the detections topic; notifications to email, and to Slack above its threshold. */
export function channelsOf(
  delivery: Pick<Delivery, 'outbox' | 'message'>,
  options: Pick<ProcessOptions, 'policy' | 'slackMinRiskScore'>,
  slackConfigured: boolean,
): Channel[] {
  const wanted: Channel[] = ['detections'];
  if (delivery.outbox.notify) {
    wanted.push('email');
    const slackMin = options.slackMinRiskScore ?? options.policy.minRiskScore;
    if (slackConfigured && delivery.message.detection.riskScore >= slackMin) wanted.push('slack');
  }
  return wanted;
}

/** The channels an update still owes. */
export function missingChannels(
  delivery: Delivery,
  options: Pick<ProcessOptions, 'policy' | 'slackMinRiskScore'>,
  slackConfigured: boolean,
): Channel[] {
  return channelsOf(delivery, options, slackConfigured).filter((c) => !delivery.sent.has(c));
}

/** An error as a report reads it: its name and message. */
export function errorText(error: unknown): string {
  const { name, message } = describeThrown(error);
  return `${name}: ${message}`;
}
