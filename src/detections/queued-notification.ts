import * as z from 'zod/mini';
import { describeIssues } from '../validation.ts';
import type { NotifiedEvent } from './lifecycle.ts';
import { DETECTION_STATUSES, MAX_RISK_SCORE, MIN_RISK_SCORE, severityOf, type Detection } from './model.ts';
import type { PendingNotification } from './slack-pacing.ts';

/**
 * What the fan-out puts on the Slack queue: one normalized detection and why it is news. The body is
 * also the detections-topic message (its `schema` key is ignored), so the queue can subscribe to that
 * topic with raw message delivery and a filter on the `event` attribute.
 */
export interface QueuedNotification {
  detection: Detection;
  event: NotifiedEvent;
  reasons: string[];
}

const NOTIFIED_EVENTS = ['new', 'escalated', 'closed'] as const satisfies readonly NotifiedEvent[];

// A number with an integer check rather than z.int(): a string is reported as `expected number`.
const epochMs = z.number().check(z.int(), z.nonnegative());
const optionalText = z.optional(z.string());
const nonEmpty = z.string().check(z.minLength(1));

const participantSchema = z.object({
  role: nonEmpty,
  objectType: nonEmpty,
  objectId: optionalText,
  ipAddress: optionalText,
  hostname: optionalText,
  external: z.optional(z.boolean()),
  username: optionalText,
});

const mitreSchema = z.object({ id: nonEmpty, name: z.string(), url: optionalText });

const detectionSchema = z.object({
  id: z.string().check(z.regex(/^\d{1,20}$/, { message: 'expected the detection id as a string of digits' })),
  type: nonEmpty,
  title: z.string(),
  description: z.string(),
  categories: z.array(z.string()),
  riskScore: z.number().check(z.int(), z.minimum(MIN_RISK_SCORE), z.maximum(MAX_RISK_SCORE)),
  // Recomputed from riskScore below: a producer's band cannot disagree with the score.
  severity: optionalText,
  startTime: epochMs,
  endTime: z.optional(epochMs),
  updateTime: epochMs,
  modTime: epochMs,
  createTime: z.optional(epochMs),
  status: z.enum(DETECTION_STATUSES),
  resolution: optionalText,
  assignee: optionalText,
  ticketId: optionalText,
  participants: z.array(participantSchema),
  mitreTactics: z.array(mitreSchema),
  mitreTechniques: z.array(mitreSchema),
  url: optionalText,
  applianceId: optionalText,
  applianceUrl: optionalText,
  source: z._default(z.literal('extrahop'), 'extrahop'),
});

const queuedNotificationSchema = z.object({
  detection: detectionSchema,
  event: z.enum(NOTIFIED_EVENTS, { message: `expected one of ${NOTIFIED_EVENTS.join(', ')}` }),
  reasons: z._default(z.array(z.string()), []),
});

export type QueuedNotificationReading = { ok: true; notification: QueuedNotification } | { ok: false; error: string };

/** Reads one queue message body; the error names the field, never echoes the body. */
export function readQueuedNotification(body: string): QueuedNotificationReading {
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch {
    return { ok: false, error: '(root): not valid JSON' };
  }
  const parsed = queuedNotificationSchema.safeParse(document);
  if (!parsed.success) return { ok: false, error: describeIssues(parsed.error) };
  const { severity: _ignored, ...detection } = parsed.data.detection;
  return {
    ok: true,
    notification: {
      detection: { ...detection, severity: severityOf(detection.riskScore) },
      event: parsed.data.event,
      reasons: parsed.data.reasons,
    },
  };
}

/** The body the fan-out sends to the Slack queue. */
export function queuedNotificationBody(notification: QueuedNotification): string {
  return JSON.stringify(notification);
}

export function toPending(notification: QueuedNotification): PendingNotification {
  return { detection: notification.detection, event: notification.event };
}
