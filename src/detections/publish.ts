import { splitIntoBatches } from '../batches.ts';
import type { LifecycleEvent } from './lifecycle.ts';
import { topCategory, type Detection } from './model.ts';
import { renderEmail } from './render-email.ts';

/**
 * SNS publish entries for the two topics. The detections topic carries structured JSON for machines;
 * the email topic is separate so that email gets readable text through the String structure, which
 * is also the only structure message attributes (and so subscription filter policies) are documented for.
 */

/** The shape of @aws-sdk/client-sns's PublishBatchRequestEntry, without depending on it here. */
export interface SnsMessageAttribute {
  DataType: 'String' | 'Number';
  StringValue: string;
}

export interface SnsPublishEntry {
  /** Unique within one PublishBatch call: letters, digits, `-`, `_`, at most 80 characters. */
  Id: string;
  Message: string;
  Subject?: string;
  MessageAttributes: Record<string, SnsMessageAttribute>;
}

export const SNS_MAX_MESSAGE_BYTES = 262_144;
export const SNS_MAX_BATCH_ENTRIES = 10;

export const DETECTION_MESSAGE_SCHEMA = 'autotap.detection/1';

export interface DetectionMessage {
  schema: typeof DETECTION_MESSAGE_SCHEMA;
  event: LifecycleEvent;
  reasons: string[];
  detection: Detection;
  /** Set when the description was shortened to fit an SNS message. */
  truncated?: true;
}

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

/** Bytes SNS counts against the message limit: body, subject and every attribute's name, type and value. */
export function entryBytes(entry: SnsPublishEntry): number {
  let total = utf8(entry.Message) + (entry.Subject ? utf8(entry.Subject) : 0);
  for (const [name, attribute] of Object.entries(entry.MessageAttributes)) {
    total += utf8(name) + utf8(attribute.DataType) + utf8(attribute.StringValue);
  }
  return total;
}

/** riskScore (Number), severity, category, type and event: what subscription filter policies match on. */
export function detectionAttributes(d: Detection, event: LifecycleEvent): Record<string, SnsMessageAttribute> {
  const attributes: Record<string, SnsMessageAttribute> = {
    riskScore: { DataType: 'Number', StringValue: String(d.riskScore) },
    severity: { DataType: 'String', StringValue: d.severity },
    type: { DataType: 'String', StringValue: d.type },
    event: { DataType: 'String', StringValue: event },
  };
  // SNS rejects empty attribute values; a detection without categories simply has no category.
  const category = topCategory(d);
  if (category) attributes.category = { DataType: 'String', StringValue: category };
  return attributes;
}

function entryId(d: Detection, event: LifecycleEvent, topic: string): string {
  return `${topic}-${event}-${d.id}-${d.modTime}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 80);
}

const TRUNCATION_NOTE = '\n\n[truncated: open the detection in ExtraHop for the full text]';

const sliceWhole = (text: string, length: number) => (/[\uD800-\uDBFF]/.test(text.charAt(length - 1)) ? text.slice(0, length - 1) : text.slice(0, length));

/** The longest prefix of `text` for which `build` still fits one SNS message (binary search: JSON escaping makes bytes unpredictable). */
function fitText(text: string, build: (text: string) => SnsPublishEntry): SnsPublishEntry | undefined {
  let low = 0;
  let high = text.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (entryBytes(build(sliceWhole(text, mid))) <= SNS_MAX_MESSAGE_BYTES) low = mid;
    else high = mid - 1;
  }
  const entry = build(sliceWhole(text, low));
  return entryBytes(entry) <= SNS_MAX_MESSAGE_BYTES ? entry : undefined;
}

/** The detections-topic entry: the normalized detection and the event, as JSON. */
export function detectionsTopicEntry(d: Detection, event: LifecycleEvent, reasons: readonly string[] = []): SnsPublishEntry {
  const build = (detection: Detection, truncated: boolean): SnsPublishEntry => {
    const message: DetectionMessage = { schema: DETECTION_MESSAGE_SCHEMA, event, reasons: [...reasons], detection };
    if (truncated) message.truncated = true;
    return { Id: entryId(d, event, 'detection'), Message: JSON.stringify(message), MessageAttributes: detectionAttributes(d, event) };
  };
  const entry = build(d, false);
  if (entryBytes(entry) <= SNS_MAX_MESSAGE_BYTES) return entry;
  // Only the description and the participant list can grow without bound.
  return (
    fitText(d.description, (description) => build({ ...d, description }, true)) ??
    fitText(d.description, (description) => build({ ...d, description, participants: d.participants.slice(0, 100) }, true)) ??
    build({ ...d, description: '', participants: [], mitreTactics: [], mitreTechniques: [] }, true)
  );
}

/** The email-topic entry: plain-text body and subject, same attributes as the detections topic. */
export function emailTopicEntry(d: Detection, event: LifecycleEvent, reasons: readonly string[] = []): SnsPublishEntry {
  const { subject, body } = renderEmail(d, event, reasons);
  const attributes = detectionAttributes(d, event);
  const entry: SnsPublishEntry = { Id: entryId(d, event, 'email'), Message: body, Subject: subject, MessageAttributes: attributes };
  if (entryBytes(entry) <= SNS_MAX_MESSAGE_BYTES) return entry;
  return fitText(body, (text) => ({ ...entry, Message: text + TRUNCATION_NOTE })) ?? { ...entry, Message: TRUNCATION_NOTE.trim() };
}

export interface TopicEntries {
  detections: SnsPublishEntry;
  email: SnsPublishEntry;
}

export function publishEntries(d: Detection, event: LifecycleEvent, reasons: readonly string[] = []): TopicEntries {
  return { detections: detectionsTopicEntry(d, event, reasons), email: emailTopicEntry(d, event, reasons) };
}

/**
 * Splits entries into PublishBatch calls: at most 10 entries and 262,144 bytes per call, and no Id
 * twice in one call (SNS rejects the whole batch for it). Order is kept.
 */
export function publishBatches(entries: readonly SnsPublishEntry[], limits: { maxEntries?: number; maxBytes?: number } = {}): SnsPublishEntry[][] {
  const maxEntries = limits.maxEntries ?? SNS_MAX_BATCH_ENTRIES;
  const maxBytes = limits.maxBytes ?? SNS_MAX_MESSAGE_BYTES;
  return splitIntoBatches(entries, {
    maxEntries,
    maxBytes,
    sizeOf: entryBytes,
    // SNS refuses a batch whose entries share an Id.
    startsNew: (entry, batch) => batch.some((e) => e.Id === entry.Id),
  });
}

export interface EmailFilterPolicy {
  riskScore: [{ numeric: ['>=', number] }];
}

/** Attribute-scope filter policy for an email subscription: only detections at or above the risk. */
export function emailFilterPolicy(minRiskScore: number): EmailFilterPolicy {
  return { riskScore: [{ numeric: ['>=', minRiskScore] }] };
}
