import { detectionUrl } from '../model.ts';
import type { Channel } from './outbox.ts';

/**
 * A detection (or one channel of one update) that autotap gave up on because AWS refused it for what
 * it is: waiting cannot help, and holding on to it would hold back the detections behind it. It is
 * parked instead: left out, and named to ops with the reason, so that a person can look at it on the
 * appliance.
 */
export interface ParkedItem {
  /** The detection id, when it could be read. */
  id?: string;
  modTime?: number;
  /** Where it could not go: `the detections queue`, `the email topic`, ... */
  destination: string;
  /** AWS's error code and message. */
  reason: string;
  /** Size of what was refused, in UTF-8 bytes. */
  bytes?: number;
}

export interface ParkedReport {
  subject: string;
  message: string;
}

/** Lines in one ops report; the rest are counted (an SNS message stays small). */
const MAX_LISTED = 50;

/** The ops message about parked items: which detection, where it could not go, why, and where to find it. */
export function parkedReport(items: readonly ParkedItem[], applianceUrl?: string): ParkedReport {
  const lines = items.slice(0, MAX_LISTED).map((item) => {
    const what = item.id === undefined ? 'a detection without a readable id' : `detection ${item.id}`;
    const when = item.modTime === undefined ? '' : ` (mod_time ${item.modTime})`;
    const size = item.bytes === undefined ? '' : `, ${item.bytes} bytes`;
    const link = item.id !== undefined && applianceUrl ? `\n    ${detectionUrl(applianceUrl, item.id)}` : '';
    return `- ${what}${when}: refused by ${item.destination}${size}: ${item.reason.slice(0, 500)}${link}`;
  });
  if (items.length > MAX_LISTED) lines.push(`- and ${items.length - MAX_LISTED} more (see the logs)`);
  return {
    subject: `autotap: ${items.length} detection(s) parked`,
    message: [
      `${items.length} detection(s) could not be delivered because AWS refused them for what they are, so autotap set them aside and went on with the others.`,
      'Later updates of the same detections are still delivered. Open each one on the appliance:',
      '',
      ...lines,
    ].join('\n'),
  };
}

/** A detection read from the queue that cannot be processed: dropped, never retried. */
export interface RejectedDetection {
  messageId: string;
  /** The detection id, when the body had a readable one. */
  id?: string;
  error: string;
}

/** The ops message about invalid detections: each one with what is wrong with it. */
export function rejectedReport(rejected: readonly RejectedDetection[]): ParkedReport {
  return {
    subject: `autotap: ${rejected.length} invalid detection(s) dropped`,
    message: [
      `${rejected.length} detection(s) could not be read and were dropped (not retried).`,
      'The appliance sent them in a shape autotap does not understand; each line names the problem.',
      '',
      ...rejected.map((r) => `- message ${r.messageId}${r.id ? `, detection ${r.id}` : ''}: ${r.error}`),
    ].join('\n'),
  };
}

const DESTINATIONS: Record<Channel, string> = {
  detections: 'the detections topic',
  email: 'the email topic',
  slack: 'the Slack queue',
};

/** Where a fan-out channel sends, in the words of an ops report. */
export function channelDestination(channel: Channel): string {
  return DESTINATIONS[channel];
}
