import { countsByDimension, type MetricPoint } from '../observability/metrics.ts';

/**
 * The metrics of the detection Lambdas: what each poll or push queued, what the process Lambda
 * fanned out or parked, and how far behind the appliance the poll's cursor stands.
 */

/** A poll window: detections queued and parked, and the lag (now minus the newest mod_time seen). */
export function pollMetrics(
  result: { enqueued: number; parked: readonly unknown[]; cursor: number },
  now: number,
): MetricPoint[] {
  return [
    { name: 'DetectionsReceived', values: [result.enqueued], dimensions: { Source: 'poll' } },
    ...(result.parked.length > 0
      ? [{ name: 'DetectionsParked' as const, values: [result.parked.length], dimensions: { Stage: 'poll' } }]
      : []),
    // A cursor at 0 has seen no detection yet: no lag to tell.
    ...(result.cursor > 0
      ? [{ name: 'PollLagSeconds' as const, values: [Math.max(0, Math.round((now - result.cursor) / 1000))] }]
      : []),
  ];
}

/** A push the webhook accepted. */
export function webhookMetrics(accepted: number): MetricPoint[] {
  return [{ name: 'DetectionsReceived', values: [accepted], dimensions: { Source: 'webhook' } }];
}

/** A batch of the detections queue: the updates notified, those shortened to fit, and those a channel refused for good. */
export function processMetrics(result: {
  reports: readonly { outcome: string; notified?: boolean; trimmed?: readonly string[] }[];
  parked: readonly unknown[];
}): MetricPoint[] {
  const notified = result.reports.filter((r) => r.outcome === 'delivered' && r.notified).length;
  const trimmed: Record<string, number> = {};
  for (const topic of result.reports.flatMap((r) => r.trimmed ?? [])) trimmed[topic] = (trimmed[topic] ?? 0) + 1;
  return [
    { name: 'DetectionsNotified', values: [notified] },
    ...countsByDimension('DetectionsTrimmed', 'Channel', trimmed),
    ...(result.parked.length > 0
      ? [{ name: 'DetectionsParked' as const, values: [result.parked.length], dimensions: { Stage: 'process' } }]
      : []),
  ];
}

/** One Slack notifier batch: the 429s Slack answered, and the notifications handed back to the queue. */
export function slackMetrics(result: {
  problems?: readonly { kind: string }[];
  failed: readonly unknown[];
}): MetricPoint[] {
  const rateLimited = (result.problems ?? []).filter((p) => p.kind === 'rate-limited').length;
  return [
    ...(rateLimited > 0 ? [{ name: 'SlackRateLimited' as const, values: [rateLimited] }] : []),
    { name: 'SlackHandedBack', values: [result.failed.length] },
  ];
}
