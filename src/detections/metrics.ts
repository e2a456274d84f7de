import type { MetricPoint } from '../observability/metrics.ts';

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

/** A batch of the detections queue: the updates notified, and those a channel refused for good. */
export function processMetrics(result: {
  reports: readonly { outcome: string; notified?: boolean }[];
  parked: readonly unknown[];
}): MetricPoint[] {
  const notified = result.reports.filter((r) => r.outcome === 'delivered' && r.notified).length;
  return [
    { name: 'DetectionsNotified', values: [notified] },
    ...(result.parked.length > 0
      ? [{ name: 'DetectionsParked' as const, values: [result.parked.length], dimensions: { Stage: 'process' } }]
      : []),
  ];
}
