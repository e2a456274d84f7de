import { renderSlack, renderSlackRollup, type SlackMessage } from './render-slack.ts';
import {
  POSTER_MIN_INTERVAL_MS,
  planRetry,
  planSlackPosts,
  type PendingNotification,
  type PlannedPost,
} from './slack-pacing.ts';

/**
 * Delivers one batch of queued notifications to a Slack webhook: a burst becomes a few posts and a
 * roll-up, spaced by real waits. Every notification ends either in a post Slack accepted or in
 * `failed`, which the queue redelivers (and after enough receives parks in its dead-letter queue).
 */

export interface QueuedItem {
  /** The SQS message id: what a partial batch response names. */
  itemIdentifier: string;
  notification: PendingNotification;
}

/** A text-only message: what is left to try when Slack refuses the blocks. */
export type SlackPayload = SlackMessage | { text: string };

/** What Slack's answer means for the notifications in the message: what the webhook adapter reports. */
export type SlackPostResult =
  | { kind: 'ok' }
  /** 429: slow down; Retry-After as sent (seconds or an HTTP date). */
  | { kind: 'rate-limited'; status: 429; retryAfter?: string }
  /** 400 invalid_blocks / invalid_payload / ...: this message will never be accepted as it is. */
  | { kind: 'rejected-payload'; status: number; error: string }
  /** 403, 404 channel_not_found, 410 channel_is_archived: the webhook itself is broken until someone fixes it. */
  | { kind: 'needs-human'; status: number; error: string }
  /** 5xx, timeouts, connection failures: worth trying again later. */
  | { kind: 'transient'; status: number; error: string };

export interface SlackDeliveryPorts {
  post(payload: SlackPayload): Promise<SlackPostResult>;
  sleep(ms: number): Promise<void>;
  now(): number;
  /** Milliseconds before the invocation must have returned. */
  remainingMs(): number;
}

export interface SlackDeliveryOptions {
  /** When this container last posted to the webhook (or a 429 said to resume): pacing carries over between batches. */
  notBefore?: number;
  minIntervalMs?: number;
  maxMessages?: number;
  /** Longest Retry-After worth sleeping through; longer ones hand the notifications back to the queue. */
  maxInlineWaitMs?: number;
  /** 429s sleeping through per message before handing back. */
  maxRateLimitRetries?: number;
  /** Time kept in hand at the end of the invocation to return the batch response. */
  safetyMarginMs?: number;
}

export type DeliveryProblem =
  | { kind: 'rate-limited'; retryAfter?: string; resumeAt: number }
  | { kind: 'rejected-payload'; status: number; error: string; textOnlyAccepted: boolean }
  | { kind: 'needs-human'; status: number; error: string }
  | { kind: 'transient'; status: number; error: string }
  | { kind: 'out-of-time'; remainingMs: number };

export interface DeliveredPost {
  kind: PlannedPost['kind'];
  itemIdentifiers: string[];
  /** Sent as the fallback text alone after Slack refused the blocks. */
  textOnly: boolean;
}

export interface SlackDeliveryReport {
  posts: DeliveredPost[];
  /** Item identifiers to hand back to the queue. */
  failed: string[];
  problems: DeliveryProblem[];
  /** Earliest time the next post to this webhook may go out. */
  notBefore: number;
}

function itemsOf(post: PlannedPost): PendingNotification[] {
  return post.kind === 'single' ? [post.notification] : post.notifications;
}

function render(post: PlannedPost): SlackMessage {
  return post.kind === 'single'
    ? renderSlack(post.notification.detection, post.notification.event)
    : renderSlackRollup(
        post.notifications.map((n) => n.detection),
        post.counts,
      );
}

export async function deliverToSlack(
  items: readonly QueuedItem[],
  ports: SlackDeliveryPorts,
  options: SlackDeliveryOptions = {},
): Promise<SlackDeliveryReport> {
  // Another invocation may be posting to the same webhook at the same time: each keeps its share.
  const interval = options.minIntervalMs ?? POSTER_MIN_INTERVAL_MS;
  const maxRetries = options.maxRateLimitRetries ?? 3;
  const margin = options.safetyMarginMs ?? 5000;
  // Planning works on notifications; the identity of each (even two equal ones) maps back to its message.
  const ids = new Map<PendingNotification, string>(items.map((item) => [item.notification, item.itemIdentifier]));
  const start = ports.now();
  const plan = planSlackPosts(
    items.map((item) => item.notification),
    {
      now: start,
      minIntervalMs: interval,
      ...(options.maxMessages === undefined ? {} : { maxMessages: options.maxMessages }),
      ...(options.notBefore === undefined ? {} : { lastPostAt: options.notBefore - interval }),
    },
  );
  const report: SlackDeliveryReport = { posts: [], failed: [], problems: [], notBefore: options.notBefore ?? start };
  const idsOf = (post: PlannedPost) => itemsOf(post).map((n) => ids.get(n)!);
  const handBack = (from: number) => {
    for (const post of plan.slice(from)) report.failed.push(...idsOf(post));
  };

  for (let index = 0; index < plan.length; index++) {
    const post = plan[index]!;
    let payload: SlackPayload = render(post);
    let textOnly = false;
    let rejection: Extract<DeliveryProblem, { kind: 'rejected-payload' }> | undefined;
    let rateLimited = 0;
    let settled = false;
    while (!settled) {
      const wait = Math.max(0, post.at - ports.now(), report.notBefore - ports.now());
      if (wait > ports.remainingMs() - margin) {
        report.problems.push({ kind: 'out-of-time', remainingMs: ports.remainingMs() });
        handBack(index);
        return report;
      }
      if (wait > 0) await ports.sleep(wait);
      const result = await ports.post(payload);
      report.notBefore = ports.now() + interval;
      switch (result.kind) {
        case 'ok':
          if (rejection) rejection.textOnlyAccepted = true;
          report.posts.push({ kind: post.kind, itemIdentifiers: idsOf(post), textOnly });
          settled = true;
          break;
        case 'rate-limited': {
          const retry = planRetry(result.retryAfter, {
            now: ports.now(),
            ...(options.maxInlineWaitMs === undefined ? {} : { maxInlineWaitMs: options.maxInlineWaitMs }),
          });
          report.notBefore = Math.max(report.notBefore, retry.resumeAt);
          report.problems.push({
            kind: 'rate-limited',
            ...(result.retryAfter === undefined ? {} : { retryAfter: result.retryAfter }),
            resumeAt: retry.resumeAt,
          });
          if (retry.action === 'defer' || ++rateLimited > maxRetries) {
            handBack(index);
            return report;
          }
          break;
        }
        case 'rejected-payload':
          // The blocks are what Slack validates strictly; the plain fallback text nearly always passes.
          if (!rejection) {
            rejection = {
              kind: 'rejected-payload',
              status: result.status,
              error: result.error,
              textOnlyAccepted: false,
            };
            report.problems.push(rejection);
            payload = { text: payload.text };
            textOnly = true;
          } else {
            // Not even the text passes: redelivery would fail the same way, the dead-letter queue keeps it.
            report.failed.push(...idsOf(post));
            settled = true;
          }
          break;
        case 'needs-human':
        case 'transient':
          // Neither gets better within this invocation: everything left goes back to the queue.
          report.problems.push({ kind: result.kind, status: result.status, error: result.error });
          handBack(index);
          return report;
      }
    }
  }
  return report;
}
