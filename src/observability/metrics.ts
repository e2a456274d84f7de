/**
 * autotap's own CloudWatch metrics: one catalog that the Lambdas emit from (in CloudWatch's
 * embedded metric format, src/lambda/metrics.ts), that the dashboard and the alarms read
 * (deploy/observability.ts), and that docs/operations.md lists. Every dimension takes a bounded set
 * of values (a reason, a trigger, an action, a target the configuration names): never an instance
 * or an ENI, so the number of metrics stays bounded whatever the fleet. A metric with dimensions is
 * also kept without them (EMF's second dimension set): the total the alarms read.
 */

export const METRICS_NAMESPACE = 'autotap';

export type MetricUnit = 'Count' | 'Seconds' | 'Percent';

interface MetricDefinition {
  unit: MetricUnit;
  /** The dimensions beyond `service` and `stage`, which every metric has. */
  dimensions: readonly string[];
  description: string;
}

export const METRICS = {
  EnisMirrored: {
    unit: 'Count',
    dimensions: ['Trigger'],
    description: 'ENIs a mirror-instances execution attached a session to, by what started it',
  },
  EnisAlreadyMirrored: { unit: 'Count', dimensions: [], description: 'ENIs found already mirrored by autotap' },
  EnisSkipped: { unit: 'Count', dimensions: ['Reason'], description: 'ENIs left unmirrored, by reason' },
  EnisFailed: { unit: 'Count', dimensions: ['Reason'], description: "ENIs whose session AWS refused, by AWS's reason" },
  LaunchToMirroredSeconds: {
    unit: 'Seconds',
    dimensions: ['Trigger'],
    description: 'From the event that started mirror-instances (a launch, an attach) to its sessions',
  },
  DriftFound: {
    unit: 'Count',
    dimensions: ['Workflow'],
    description: 'Sessions a reconcile or cleanup found to create, delete or change (made, failed or planned)',
  },
  DriftRepaired: {
    unit: 'Count',
    dimensions: ['Workflow', 'Action'],
    description: 'Of those, the ones it made, by action (create, delete, modify)',
  },
  EnisEligible: { unit: 'Count', dimensions: [], description: 'In-scope ENIs nothing stops from being mirrored' },
  EnisUnmirrored: {
    unit: 'Count',
    dimensions: [],
    description: 'Of those, the ones without an autotap session when a full reconcile round began',
  },
  CoveragePercent: {
    unit: 'Percent',
    dimensions: [],
    description: 'Mirrored share of the eligible ENIs when a full reconcile round began',
  },
  TargetSources: {
    unit: 'Count',
    dimensions: ['Target'],
    description: "Source ENIs a configured target's sessions mirror, seen by a full round",
  },
  TargetLoadPercent: {
    unit: 'Percent',
    dimensions: ['Target'],
    description: 'Of an ENI target, its sources against the sources it takes',
  },
  DetectionsReceived: {
    unit: 'Count',
    dimensions: ['Source'],
    description: 'Detections queued from the appliance, by way (poll or webhook)',
  },
  DetectionsNotified: {
    unit: 'Count',
    dimensions: [],
    description: 'Detection updates the process Lambda recorded and fanned out to the channels',
  },
  DetectionsParked: {
    unit: 'Count',
    dimensions: ['Stage'],
    description:
      'Detections set aside for ops: the queue refused them (poll), or a channel refused an update for good (process)',
  },
  DetectionsTrimmed: {
    unit: 'Count',
    dimensions: ['Channel'],
    description: 'Detection updates shortened, visibly, to fit an SNS message, by topic (detections, email)',
  },
  SlackRateLimited: {
    unit: 'Count',
    dimensions: [],
    description: 'Slack answers of 429 (rate limited) to the Slack notifier',
  },
  SlackHandedBack: {
    unit: 'Count',
    dimensions: [],
    description: 'Slack notifications handed back to their queue for a later try (rate limits, faults, time)',
  },
  AwsThrottled: {
    unit: 'Count',
    dimensions: ['Service'],
    description: "Calls AWS throttled, by service: each attempt, whether the SDK's retry then got through or not",
  },
  PollLagSeconds: {
    unit: 'Seconds',
    dimensions: [],
    description: "Now minus the newest detection's mod_time the poll has seen",
  },
} as const satisfies Record<string, MetricDefinition>;

export type MetricName = keyof typeof METRICS;

/** One metric's values from one invocation, with its dimensions' values. */
export interface MetricPoint {
  name: MetricName;
  values: number[];
  dimensions?: Record<string, string>;
}

/** Counts as points, one per dimension value: `{ 'target-full': 2 }` of EnisSkipped by Reason. */
export function countsByDimension(
  name: MetricName,
  dimension: string,
  counts: Readonly<Record<string, number>>,
): MetricPoint[] {
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([value, n]) => ({ name, values: [n], dimensions: { [dimension]: value } }));
}
