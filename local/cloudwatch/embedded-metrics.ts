/**
 * The local CloudWatch's side of autotap's metrics. In AWS, a Lambda writes its metrics to its log in
 * the embedded metric format, and CloudWatch Logs extracts them
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
 * Locally the Lambdas run in this process and their log is its standard output: while a capture is
 * open, each EMF document written there is taken out of the output and kept as the metrics it
 * declares, as CloudWatch would; every other line goes through untouched.
 */

export interface MetricDatum {
  namespace: string;
  name: string;
  unit: string;
  dimensions: Record<string, string>;
  values: number[];
}

interface EmfDocument {
  _aws: {
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit?: string }[] }[];
  };
  [key: string]: unknown;
}

function isEmf(value: unknown): value is EmfDocument {
  const aws = (value as { _aws?: { CloudWatchMetrics?: unknown } } | null)?._aws;
  return Array.isArray(aws?.CloudWatchMetrics);
}

/** The metrics one EMF document declares: each metric once per dimension set, as CloudWatch keeps them. */
export function metricsOfDocument(document: EmfDocument): MetricDatum[] {
  return document._aws.CloudWatchMetrics.flatMap((directive) =>
    directive.Dimensions.flatMap((set) => {
      const dimensions = Object.fromEntries(set.map((k) => [k, String(document[k])]));
      return directive.Metrics.map((metric) => {
        const raw = document[metric.Name];
        const values = (Array.isArray(raw) ? raw : [raw]).filter((v): v is number => typeof v === 'number');
        return { namespace: directive.Namespace, name: metric.Name, unit: metric.Unit ?? 'None', dimensions, values };
      });
    }),
  );
}

const captures = new Set<MetricDatum[]>();
/** How `write` stood on the stream before the first capture (an own property or none), to restore it exactly. */
let before: { descriptor: PropertyDescriptor | undefined } | undefined;

function divert(chunk: unknown): boolean {
  if (typeof chunk !== 'string' && !(chunk instanceof Uint8Array)) return false;
  const text = String(chunk).trim();
  if (!text.startsWith('{"_aws"')) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return false;
  }
  if (!isEmf(parsed)) return false;
  const data = metricsOfDocument(parsed);
  for (const capture of captures) capture.push(...data);
  return true;
}

/** Starts keeping the EMF documents written to standard output; `stop()` ends it (and returns them). */
export function captureEmbeddedMetrics(): { metrics: MetricDatum[]; stop(): MetricDatum[] } {
  const metrics: MetricDatum[] = [];
  captures.add(metrics);
  if (!before) {
    before = { descriptor: Object.getOwnPropertyDescriptor(process.stdout, 'write') };
    const write = process.stdout.write.bind(process.stdout) as (...args: unknown[]) => boolean;
    const diverting = (chunk: unknown, ...rest: unknown[]) => (divert(chunk) ? true : write(chunk, ...rest));
    process.stdout.write = diverting;
  }
  return {
    metrics,
    stop() {
      captures.delete(metrics);
      if (captures.size === 0 && before) {
        if (before.descriptor) Object.defineProperty(process.stdout, 'write', before.descriptor);
        else delete (process.stdout as { write?: unknown }).write;
        before = undefined;
      }
      return metrics;
    },
  };
}

/** Sums each metric by name and dimensions: `EnisSkipped{Reason=unsupported}` -> total and count of values. */
export interface MetricTotal {
  /** The name and the dimensions beyond `service` and `stage`: `EnisSkipped{Reason=unsupported}`. */
  metric: string;
  sum: number;
  samples: number;
}

export function metricTotals(metrics: readonly MetricDatum[]): MetricTotal[] {
  const totals = new Map<string, { sum: number; samples: number }>();
  for (const m of metrics) {
    const dims = Object.entries(m.dimensions)
      .filter(([k]) => k !== 'service' && k !== 'stage')
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const key = dims ? `${m.name}{${dims}}` : m.name;
    const total = totals.get(key) ?? { sum: 0, samples: 0 };
    total.sum += m.values.reduce((a, b) => a + b, 0);
    total.samples += m.values.length;
    totals.set(key, total);
  }
  return [...totals].sort(([a], [b]) => a.localeCompare(b)).map(([metric, t]) => ({ metric, ...t }));
}
