import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRICS, METRICS_NAMESPACE, type MetricPoint } from '../observability/metrics.ts';

/**
 * Writes an invocation's metrics to its log in CloudWatch's embedded metric format, through
 * Powertools Metrics: one document per set of dimension values, each carrying the `service` and
 * `stage` dimensions; a metric with dimensions of its own is also kept over all their values. Written at once, not buffered across
 * invocations, so that concurrent invocations in one process (as the local AWS runs them) never
 * mix their dimensions.
 */
export function publishMetrics(points: readonly MetricPoint[]): void {
  const groups = new Map<string, MetricPoint[]>();
  for (const point of points) {
    if (point.values.length === 0) continue;
    const key = JSON.stringify(Object.entries(point.dimensions ?? {}).sort());
    groups.set(key, [...(groups.get(key) ?? []), point]);
  }
  const stage = process.env.AUTOTAP_STAGE;
  for (const group of groups.values()) {
    const metrics = new Metrics({
      namespace: METRICS_NAMESPACE,
      serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'autotap',
      ...(stage ? { defaultDimensions: { stage } } : {}),
    });
    const dimensions = group[0]?.dimensions;
    // Two dimension sets: by the dimensions' values, and over all of them (what the alarms read).
    if (dimensions && Object.keys(dimensions).length > 0) metrics.addDimensions(dimensions).addDimensions({});
    for (const point of group)
      for (const value of point.values) metrics.addMetric(point.name, METRICS[point.name].unit, value);
    metrics.publishStoredMetrics();
  }
}
