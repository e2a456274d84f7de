/**
 * What the stack shows of itself (`observability`): the state machines' logs and traces, the
 * Lambdas' traces, and the X-Ray grant each Lambda role then needs. serverless.yml reads these as
 * `${file(deploy/serverless.js):stateMachineLogging}` and friends.
 */
import type { Config } from '../src/config/schema.ts';
import { METRICS_NAMESPACE, type MetricName } from '../src/observability/metrics.ts';
import type { PolicyStatement } from './roles.ts';
import {
  config,
  detectionParts,
  stageOf,
  type CfnFragment,
  type CfnResource,
  type CfnResources,
  type ResolverContext,
} from './stage-config.ts';

/** The state machines' log group; the vended-logs prefix keeps CloudWatch Logs' resource policy small. */
export const STATE_MACHINE_LOG_GROUP = 'StateMachinesLogGroup';
const LOG_RETENTION_DAYS = 30;

/**
 * Each state machine's `loggingConfig` (serverless-step-functions), or null for none: the plugin
 * grants the log delivery actions whenever the key is present, so `OFF` leaves it out. Execution
 * data is never logged: it may hold a detection or the account's layout.
 */
export function stateMachineLoggingOf(config: Pick<Config, 'observability'>): Record<string, unknown> | null {
  const level = config.observability.stateMachineLogs;
  if (level === 'OFF') return null;
  return {
    level,
    includeExecutionData: false,
    destinations: [{ 'Fn::GetAtt': [STATE_MACHINE_LOG_GROUP, 'Arn'] }],
  };
}

/** Each state machine's `tracingConfig`, or null: present, the plugin grants X-Ray even when disabled. */
export function stateMachineTracingOf(config: Pick<Config, 'observability'>): { enabled: true } | null {
  return config.observability.tracing ? { enabled: true } : null;
}

/**
 * What a traced Lambda's role needs: X-Ray's actions take no resource-level permission
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html), so `*`.
 */
export const WRITE_TRACES: PolicyStatement = {
  Sid: 'WriteTraces',
  Effect: 'Allow',
  Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
  Resource: '*',
};

/** Every autotap metric is kept by these two dimensions (src/lambda/metrics.ts). */
const baseDimensions = (stage: string) => [
  { Name: 'service', Value: 'autotap' },
  { Name: 'stage', Value: stage },
];

function metricAlarm(
  stage: string,
  name: string,
  description: string,
  metric: MetricName,
  statistic: { Statistic: string } | { ExtendedStatistic: string },
  comparison: 'GreaterThanThreshold' | 'LessThanThreshold',
  threshold: number,
  period: number,
  missing: 'notBreaching' | 'ignore',
): CfnResource {
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmName: `autotap-${stage}-${name}`,
      AlarmDescription: description,
      Namespace: METRICS_NAMESPACE,
      MetricName: metric,
      Dimensions: baseDimensions(stage),
      ...statistic,
      Period: period,
      EvaluationPeriods: 1,
      Threshold: threshold,
      ComparisonOperator: comparison,
      TreatMissingData: missing,
      AlarmActions: [{ Ref: 'OpsTopic' }],
    },
  };
}

/**
 * The alarms on autotap's own metrics, each telling the ops topic (the dead-letter queues have theirs,
 * deploy/stage-config.ts): coverage, latency, failures, and with a poll the detections' lag.
 */
export function metricAlarms(config: Config, stage: string): CfnResources {
  const { alarms } = config.observability;
  const result: CfnResources = {
    // Written once per reconcile: between runs there is no data, and the alarm keeps its state.
    CoverageAlarm: metricAlarm(
      stage,
      'coverage',
      `Fewer than ${alarms.coverageBelowPercent}% of the eligible ENIs had an autotap session when the last reconcile began`,
      'CoveragePercent',
      { Statistic: 'Minimum' },
      'LessThanThreshold',
      alarms.coverageBelowPercent,
      3600,
      'ignore',
    ),
    LaunchToMirroredAlarm: metricAlarm(
      stage,
      'launch-to-mirrored',
      `The 99th percentile of launch (or attach) to mirrored exceeded ${alarms.launchToMirroredSeconds} s over 15 minutes`,
      'LaunchToMirroredSeconds',
      { ExtendedStatistic: 'p99' },
      'GreaterThanThreshold',
      alarms.launchToMirroredSeconds,
      900,
      'notBreaching',
    ),
    MirroringFailuresAlarm: metricAlarm(
      stage,
      'mirroring-failures',
      'AWS refused to create a session for an ENI; see the ops topic report and the execution',
      'EnisFailed',
      { Statistic: 'Sum' },
      'GreaterThanThreshold',
      0,
      300,
      'notBreaching',
    ),
  };
  if (detectionParts(config)?.poll)
    result.PollLagAlarm = metricAlarm(
      stage,
      'poll-lag',
      `The newest detection the poll has seen is more than ${alarms.pollLagSeconds} s old (a quiet appliance raises it too)`,
      'PollLagSeconds',
      { Statistic: 'Maximum' },
      'GreaterThanThreshold',
      alarms.pollLagSeconds,
      300,
      'notBreaching',
    );
  return result;
}

/** The log group the state machines write to (when they log), the dashboard and the alarms. */
export function observabilityResourcesOf(config: Config, stage: string): CfnFragment {
  const resources: CfnResources = { ...metricAlarms(config, stage), ...dashboard(config, stage) };
  if (stateMachineLoggingOf(config)) {
    resources[STATE_MACHINE_LOG_GROUP] = {
      Type: 'AWS::Logs::LogGroup',
      Properties: {
        LogGroupName: `/aws/vendedlogs/states/autotap-${stage}`,
        RetentionInDays: LOG_RETENTION_DAYS,
      },
    };
  }
  return { Resources: resources };
}

export async function lambdaTracing(context: ResolverContext): Promise<boolean> {
  return (await config(context)).observability.tracing;
}

export async function observabilityResources(context: ResolverContext): Promise<CfnFragment> {
  return observabilityResourcesOf(await config(context), await stageOf(context));
}

/** The dead-letter queues of the stack, by name (their alarms are in deploy/stage-config.ts). */
export function deadLetterQueueNames(config: Config, stage: string): string[] {
  const parts = detectionParts(config);
  return [
    'launch-events-dlq',
    'rule-events-dlq',
    'tag-changes-dlq',
    ...(parts ? ['detections-dlq'] : []),
    ...(parts?.slack ? ['slack-dlq'] : []),
    ...(parts?.poll ? ['poll-dlq'] : []),
  ].map((name) => `autotap-${stage}-${name}`);
}

type Widget = Record<string, unknown>;

/** One autotap metric over all its dimensions' values, in a widget's `metrics`. */
const total = (stage: string, name: MetricName, options: Record<string, unknown>) => [
  METRICS_NAMESPACE,
  name,
  'service',
  'autotap',
  'stage',
  stage,
  options,
];

/** One line per value of a metric's dimension (a SEARCH, so a reason seen for the first time shows). */
const byDimension = (stage: string, name: MetricName, dimension: string, stat: string, period: number) => [
  {
    expression: `SEARCH('{${METRICS_NAMESPACE},service,stage,${dimension}} MetricName="${name}" stage="${stage}"', '${stat}', ${period})`,
    label: `${name} by ${dimension}`,
  },
];

const graph = (title: string, metrics: unknown[], extra: Record<string, unknown> = {}): Widget => ({
  type: 'metric',
  width: 12,
  height: 6,
  properties: { title, region: '${AWS::Region}', view: 'timeSeries', stacked: false, metrics, ...extra },
});

/** The widgets, in the order a person asks: is it mirrored, how fast, what failed, is there room, detections, parked work. */
export function dashboardWidgets(config: Config, stage: string): Widget[] {
  const { alarms } = config.observability;
  const widgets: Widget[] = [
    graph(
      'Coverage: eligible ENIs with an autotap session (%)',
      [total(stage, 'CoveragePercent', { stat: 'Minimum', period: 3600 })],
      {
        yAxis: { left: { min: 0, max: 100 } },
        annotations: { horizontal: [{ label: 'alarm', value: alarms.coverageBelowPercent }] },
      },
    ),
    graph(
      'Launch to mirrored (s): p50 and p99',
      [
        total(stage, 'LaunchToMirroredSeconds', { stat: 'p50', period: 300, label: 'p50' }),
        total(stage, 'LaunchToMirroredSeconds', { stat: 'p99', period: 300, label: 'p99' }),
      ],
      { annotations: { horizontal: [{ label: 'alarm (p99)', value: alarms.launchToMirroredSeconds }] } },
    ),
    graph('ENIs: mirrored, skipped and failed by reason', [
      total(stage, 'EnisMirrored', { stat: 'Sum', period: 300 }),
      total(stage, 'EnisAlreadyMirrored', { stat: 'Sum', period: 300 }),
      ...byDimension(stage, 'EnisSkipped', 'Reason', 'Sum', 300),
      ...byDimension(stage, 'EnisFailed', 'Reason', 'Sum', 300),
    ]),
    graph('Reconcile: drift found and repaired', [
      total(stage, 'DriftFound', { stat: 'Sum', period: 3600 }),
      ...byDimension(stage, 'DriftRepaired', 'Action', 'Sum', 3600),
      total(stage, 'EnisUnmirrored', { stat: 'Maximum', period: 3600 }),
    ]),
    graph('Targets: load against the sources an ENI target takes (%), and sources', [
      ...byDimension(stage, 'TargetLoadPercent', 'Target', 'Maximum', 3600),
      ...byDimension(stage, 'TargetSources', 'Target', 'Maximum', 3600),
    ]),
    graph(
      'Dead-letter queues: messages parked',
      deadLetterQueueNames(config, stage).map((queue) => [
        'AWS/SQS',
        'ApproximateNumberOfMessagesVisible',
        'QueueName',
        queue,
        { stat: 'Maximum', period: 300 },
      ]),
    ),
  ];
  if (detectionParts(config))
    widgets.push(
      graph('Detections: received, notified, parked', [
        ...byDimension(stage, 'DetectionsReceived', 'Source', 'Sum', 300),
        total(stage, 'DetectionsNotified', { stat: 'Sum', period: 300 }),
        ...byDimension(stage, 'DetectionsTrimmed', 'Channel', 'Sum', 300),
        total(stage, 'DetectionsParked', { stat: 'Sum', period: 300 }),
      ]),
      graph('Detections: poll lag (s)', [total(stage, 'PollLagSeconds', { stat: 'Maximum', period: 300 })], {
        annotations: { horizontal: [{ label: 'alarm', value: alarms.pollLagSeconds }] },
      }),
    );
  // Throttles cost time, not sessions or detections (the SDK and the queues retry them): a widget, no alarm.
  widgets.push(
    graph('Throttled: AWS calls by service, and Slack', [
      ...byDimension(stage, 'AwsThrottled', 'Service', 'Sum', 300),
      ...(config.detections?.slack
        ? [
            total(stage, 'SlackRateLimited', { stat: 'Sum', period: 300 }),
            total(stage, 'SlackHandedBack', { stat: 'Sum', period: 300 }),
          ]
        : []),
    ]),
  );
  // Two widgets a row, in order.
  return widgets.map((w, i) => ({ ...w, x: (i % 2) * 12, y: Math.floor(i / 2) * 6 }));
}

/** The stack's dashboard, `autotap-<stage>`: its body as CloudWatch takes it, a JSON string (the region substituted). */
function dashboard(config: Config, stage: string): CfnResources {
  return {
    Dashboard: {
      Type: 'AWS::CloudWatch::Dashboard',
      Properties: {
        DashboardName: `autotap-${stage}`,
        DashboardBody: { 'Fn::Sub': JSON.stringify({ widgets: dashboardWidgets(config, stage) }) },
      },
    },
  };
}

/** The logical ids of the metric alarms (the ops topic's policy lets each of them publish). */
export const metricAlarmIds = (config: Config): string[] => Object.keys(metricAlarms(config, 'any'));
