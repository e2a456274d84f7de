import type { LifecycleEvent } from './lifecycle.ts';
import type { Detection } from './model.ts';
import { byPriority, type EventCounts } from './render-slack.ts';
import { SLACK_CONCURRENT_POSTERS } from '../config/quotas.ts';

/**
 * Slack takes about one message per second per incoming webhook and answers 429 beyond it. A burst
 * of detections is planned as a few individual posts for the most important ones and one roll-up
 * for the rest, spaced at least `minIntervalMs` apart.
 */

export interface PendingNotification {
  detection: Detection;
  event: LifecycleEvent;
}

export interface PacingOptions {
  /** The caller's clock, epoch ms. */
  now: number;
  /** When the previous message went out (or a 429 said to resume), epoch ms. */
  lastPostAt?: number;
  minIntervalMs?: number;
  /** Messages per plan, the roll-up included: a burst of 200 becomes this many messages. */
  maxMessages?: number;
}

export type PlannedPost =
  | { kind: 'single'; at: number; notification: PendingNotification }
  | { kind: 'rollup'; at: number; notifications: PendingNotification[]; counts: EventCounts };

export const DEFAULT_MIN_INTERVAL_MS = 1000;
/** Each poster's own spacing: together they keep to the webhook's one message a second. */
export const POSTER_MIN_INTERVAL_MS = DEFAULT_MIN_INTERVAL_MS * SLACK_CONCURRENT_POSTERS;
export const DEFAULT_MAX_MESSAGES = 5;

// Escalations first: they are news about something already known to matter.
const EVENT_WEIGHT: Record<LifecycleEvent, number> = { escalated: 0, new: 1, closed: 2, updated: 3, stale: 4 };

function byUrgency(a: PendingNotification, b: PendingNotification): number {
  const severity = (n: PendingNotification) => (n.detection.riskScore >= 80 ? 0 : 1);
  return (
    severity(a) - severity(b) || EVENT_WEIGHT[a.event] - EVENT_WEIGHT[b.event] || byPriority(a.detection, b.detection)
  );
}

export function countEvents(notifications: readonly PendingNotification[]): EventCounts {
  const counts: EventCounts = {};
  for (const n of notifications) counts[n.event] = (counts[n.event] ?? 0) + 1;
  return counts;
}

/** Which notifications go out alone, which are folded into one roll-up, and when each may be sent. */
export function planSlackPosts(pending: readonly PendingNotification[], options: PacingOptions): PlannedPost[] {
  const interval = Math.max(0, options.minIntervalMs ?? DEFAULT_MIN_INTERVAL_MS);
  const maxMessages = Math.max(1, Math.floor(options.maxMessages ?? DEFAULT_MAX_MESSAGES));
  const first = Math.max(options.now, options.lastPostAt === undefined ? options.now : options.lastPostAt + interval);
  const ordered = [...pending].sort(byUrgency);
  const singles = ordered.length <= maxMessages ? ordered : ordered.slice(0, maxMessages - 1);
  const folded = ordered.slice(singles.length);
  const posts: PlannedPost[] = singles.map((notification, i) => ({
    kind: 'single',
    at: first + i * interval,
    notification,
  }));
  if (folded.length > 0) {
    posts.push({
      kind: 'rollup',
      at: first + singles.length * interval,
      notifications: folded,
      counts: countEvents(folded),
    });
  }
  return posts;
}

export type RetryPlan =
  /** Sleep this long, then send again. */
  | { action: 'wait'; waitMs: number; resumeAt: number }
  /** Too long to sleep in one invocation: put the notification back and try after resumeAt. */
  | { action: 'defer'; waitMs: number; resumeAt: number };

export interface RetryOptions {
  now: number;
  /** When Retry-After is missing or unreadable. */
  defaultWaitMs?: number;
  /** Longest wait worth spending inside one invocation. */
  maxInlineWaitMs?: number;
}

/** Reads a 429's Retry-After (seconds, or an HTTP date) into a wait. */
export function planRetry(retryAfter: string | number | undefined | null, options: RetryOptions): RetryPlan {
  const fallback = options.defaultWaitMs ?? 5000;
  let waitMs = fallback;
  if (typeof retryAfter === 'number' && Number.isFinite(retryAfter)) waitMs = retryAfter * 1000;
  else if (typeof retryAfter === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(retryAfter)) waitMs = Number(retryAfter) * 1000;
  else if (typeof retryAfter === 'string' && retryAfter.trim() !== '') {
    const at = Date.parse(retryAfter);
    if (Number.isFinite(at)) waitMs = at - options.now;
  }
  // A date in the past or a zero still means "not faster than the webhook allows".
  waitMs = Math.ceil(Math.min(Math.max(waitMs, DEFAULT_MIN_INTERVAL_MS), 24 * 3600 * 1000));
  const resumeAt = options.now + waitMs;
  return waitMs <= (options.maxInlineWaitMs ?? 10_000)
    ? { action: 'wait', waitMs, resumeAt }
    : { action: 'defer', waitMs, resumeAt };
}
