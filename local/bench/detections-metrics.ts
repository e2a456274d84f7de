import { decideLifecycle, type DetectionRecord, type LifecycleEvent, type LifecyclePolicy } from '../../src/detections/lifecycle.ts';
import { normalizeDetection, type NormalizeContext } from '../../src/detections/normalize.ts';
import { SNS_MAX_BATCH_ENTRIES } from '../../src/detections/publish.ts';

/**
 * Pure arithmetic of the detections half: the expected fan-out of a delivery order, the PublishBatch
 * floor, and the keys that tell one notification from another, so the tests can check the formulas.
 */

/** Fewest PublishBatch calls that carry `messages` messages: SNS takes 10 entries per call. */
export function publishBatchFloor(messages: number): number {
  return Math.ceil(messages / SNS_MAX_BATCH_ENTRIES);
}

export interface ExpectedFanout {
  /** Updates that change the record: each is one message on the detections topic. */
  changes: number;
  /** Changes someone is told about: each is one message on the email topic. */
  notifications: number;
  /** Deliveries that change nothing: exact duplicates, and versions older than one already recorded. */
  stale: number;
  byEvent: Partial<Record<LifecycleEvent, number>>;
  /** `id#modTime#event` of every change, and of every notification. */
  changeKeys: string[];
  notificationKeys: string[];
}

/**
 * What the processor must publish for raw detections delivered in `bodies` order: the lifecycle
 * decision replayed one body after the other against an in-memory record, without DynamoDB, SNS or
 * batching. The run must match it exactly: nothing lost, nothing twice.
 */
export function expectedFanout(bodies: readonly string[], policy: LifecyclePolicy, context: NormalizeContext = {}): ExpectedFanout {
  const records = new Map<string, DetectionRecord>();
  const out: ExpectedFanout = { changes: 0, notifications: 0, stale: 0, byEvent: {}, changeKeys: [], notificationKeys: [] };
  for (const body of bodies) {
    const d = normalizeDetection(JSON.parse(body), context);
    const key = `${d.applianceId ?? 'default'}#${d.id}`;
    const decision = decideLifecycle(records.get(key), d, policy, 0);
    out.byEvent[decision.event] = (out.byEvent[decision.event] ?? 0) + 1;
    if (decision.event === 'stale') {
      out.stale += 1;
      continue;
    }
    records.set(key, decision.record);
    out.changes += 1;
    out.changeKeys.push(`${d.id}#${d.modTime}#${decision.event}`);
    if (decision.notify) {
      out.notifications += 1;
      out.notificationKeys.push(`${d.id}#${d.modTime}#${decision.event}`);
    }
  }
  return out;
}

/** How many keys occur more than once, counting every extra occurrence. */
export function repeatedKeys(keys: readonly string[]): number {
  return keys.length - new Set(keys).size;
}

/** The multiset difference a - b, as sorted keys (what a has that b lacks). */
export function missingFrom(a: readonly string[], b: readonly string[]): string[] {
  const left = new Map<string, number>();
  for (const k of b) left.set(k, (left.get(k) ?? 0) + 1);
  const missing: string[] = [];
  for (const k of a) {
    const n = left.get(k) ?? 0;
    if (n > 0) left.set(k, n - 1);
    else missing.push(k);
  }
  return missing.sort();
}

/** `id#modTime#event` of a detections-topic message (DetectionMessage JSON). */
export function detectionsMessageKey(message: string): string {
  const parsed = JSON.parse(message) as { event: string; detection: { id: string; modTime: number } };
  return `${parsed.detection.id}#${parsed.detection.modTime}#${parsed.event}`;
}

/**
 * `id#modTime#event` of an email-topic message: the body names the detection id and its update time
 * (which the benchmark's detections keep equal to mod_time), the `event` attribute the event.
 */
export function emailMessageKey(body: string, event: string | undefined): string {
  const id = /^ {2}Detection id: (\S+)$/m.exec(body)?.[1] ?? '?';
  const updated = /^ {2}Updated: (\S+)$/m.exec(body)?.[1];
  const modTime = updated ? Date.parse(updated) : Number.NaN;
  return `${id}#${Number.isFinite(modTime) ? modTime : '?'}#${event ?? '?'}`;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

export const MB = 1024 * 1024;
