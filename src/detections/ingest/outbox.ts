/**
 * What one accepted update still owes the outside world, stored on the detection's record in the same
 * conditional write as the record itself. Publishing happens after the write and the outbox is removed
 * once every channel has it: a crash or a failed publish leaves the outbox in place, and the SQS
 * redelivery of the same message finds it and sends what is missing. Delivery is therefore at least
 * once per channel; a duplicate needs a crash (or a failed DynamoDB write) between a successful publish
 * and the write that records it.
 */

import type { DetectionRecord } from '../lifecycle.ts';

export type Channel = 'detections' | 'email' | 'slack';
export const CHANNELS: readonly Channel[] = ['detections', 'email', 'slack'];

export interface Outbox {
  /** Changes with every claim, so that conditional writes can tell whether the outbox is still theirs. */
  token: string;
  modTime: number;
  /** The detections-topic message (DetectionMessage JSON): fits SNS, so it fits a DynamoDB item too. */
  message: string;
  notify: boolean;
  /** Channels that already have it. */
  sent: Channel[];
  /** The SQS message id whose processing owns the outbox: its own redelivery resumes it at once. */
  claimedBy: string;
  /** Epoch ms after which any other delivery may take the outbox over (its owner is gone, e.g. to the DLQ). */
  claimedUntil: number;
}

/** Whether the delivery of `messageId` may send this outbox at `now`. */
export function mayDeliver(outbox: Outbox, messageId: string, now: number): boolean {
  return outbox.claimedBy === messageId || outbox.claimedUntil <= now;
}

/** A detection's item as the store holds it. */
export interface StoredDetection {
  record: DetectionRecord;
  outbox?: Outbox;
}
