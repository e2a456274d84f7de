import { splitIntoBatches } from '../batches.ts';
import type { LifecycleEvent } from './lifecycle.ts';
import { topCategory, type Detection } from './model.ts';
import { renderEmail } from './render-email.ts';
import { largestFitting, trimText, TRUNCATION_MARKER } from './trim.ts';

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
  /** Set when the detection was shortened to fit an SNS message (the description ends with `... (truncated)`). */
  truncated?: true;
  /** Entries of each list left out to fit. */
  omitted?: OmittedCounts;
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

/** How many entries of each list a fitted detection left out. */
export type OmittedCounts = Partial<Record<'participants' | 'mitreTactics' | 'mitreTechniques' | 'categories', number>>;

export interface FittedDetection {
  detection: Detection;
  /** Whether anything was cut: the description ends with `... (truncated)`, lists are shorter. */
  truncated: boolean;
  omitted: OmittedCounts;
}

/**
 * The detection shrunk, visibly, until `fits` holds: first the description (to its longest prefix
 * that fits, ending with `... (truncated)`), then the lists, each kept to its first k entries for the
 * largest k that fits. One-line fields are already bounded by normalization (FIELD_LIMITS), so without
 * description and lists a detection always fits an SNS message; should `fits` still refuse, the
 * smallest form is returned and the channel's refusal parks it.
 */
export function fitDetection(d: Detection, fits: (d: Detection) => boolean): FittedDetection {
  if (fits(d)) return { detection: d, truncated: false, omitted: {} };
  const withDescription = (n: number): Detection => ({ ...d, description: trimText(d.description, n) });
  const chars = largestFitting(Math.max(0, d.description.length - 1), (n) => fits(withDescription(n)));
  if (chars !== undefined) return { detection: withDescription(chars), truncated: true, omitted: {} };
  const base: Detection = { ...d, description: d.description ? TRUNCATION_MARKER : '' };
  const withLists = (k: number): Detection => ({
    ...base,
    participants: d.participants.slice(0, k),
    mitreTactics: d.mitreTactics.slice(0, k),
    mitreTechniques: d.mitreTechniques.slice(0, k),
    // The first category is what filter policies match on: it stays.
    categories: d.categories.slice(0, Math.max(1, k)),
  });
  const longest = Math.max(d.participants.length, d.mitreTactics.length, d.mitreTechniques.length, d.categories.length);
  const detection = withLists(largestFitting(longest, (k) => fits(withLists(k))) ?? 0);
  const omitted: OmittedCounts = {};
  for (const key of ['participants', 'mitreTactics', 'mitreTechniques', 'categories'] as const) {
    const left = d[key].length - detection[key].length;
    if (left > 0) omitted[key] = left;
  }
  return { detection, truncated: true, omitted };
}

const fitsSns = (entry: SnsPublishEntry) => entryBytes(entry) <= SNS_MAX_MESSAGE_BYTES;

/** The detections-topic entry: the normalized detection and the event, as JSON, fitted to one SNS message. */
export function detectionsTopicEntry(
  d: Detection,
  event: LifecycleEvent,
  reasons: readonly string[] = [],
): SnsPublishEntry {
  const build = (detection: Detection, fitted?: FittedDetection): SnsPublishEntry => {
    const message: DetectionMessage = { schema: DETECTION_MESSAGE_SCHEMA, event, reasons: [...reasons], detection };
    if (fitted?.truncated) message.truncated = true;
    if (fitted && Object.keys(fitted.omitted).length > 0) message.omitted = fitted.omitted;
    return {
      Id: entryId(d, event, 'detection'),
      Message: JSON.stringify(message),
      MessageAttributes: detectionAttributes(detection, event),
    };
  };
  // Room for the `truncated` and `omitted` keys that a fitted message carries.
  const fitted = fitDetection(d, (x) => entryBytes(build(x)) <= SNS_MAX_MESSAGE_BYTES - 256);
  return build(fitted.detection, fitted);
}

/**
 * The detections-topic entry of a message already fitted (the outbox keeps it so): sent as it was
 * stored, so that its `truncated` and `omitted` reach the subscribers; fitting it again would find
 * nothing to cut and drop them.
 */
export function storedDetectionsEntry(message: DetectionMessage): SnsPublishEntry {
  return {
    Id: entryId(message.detection, message.event, 'detection'),
    Message: JSON.stringify(message),
    MessageAttributes: detectionAttributes(message.detection, message.event),
  };
}

/** The email-topic entry: plain-text body and subject, same attributes as the detections topic, fitted to one SNS message. */
export function emailTopicEntry(d: Detection, event: LifecycleEvent, reasons: readonly string[] = []): SnsPublishEntry {
  return fittedEmailEntry(d, event, reasons).entry;
}

/** The email-topic entry, and whether the detection was shortened to fit. */
export function fittedEmailEntry(
  d: Detection,
  event: LifecycleEvent,
  reasons: readonly string[] = [],
): { entry: SnsPublishEntry; truncated: boolean } {
  const build = (detection: Detection): SnsPublishEntry => {
    const { subject, body } = renderEmail(detection, event, reasons);
    return {
      Id: entryId(d, event, 'email'),
      Message: body,
      Subject: subject,
      MessageAttributes: detectionAttributes(detection, event),
    };
  };
  const fitted = fitDetection(d, (x) => fitsSns(build(x)));
  return { entry: build(fitted.detection), truncated: fitted.truncated };
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
export function publishBatches(
  entries: readonly SnsPublishEntry[],
  limits: { maxEntries?: number; maxBytes?: number } = {},
): SnsPublishEntry[][] {
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
