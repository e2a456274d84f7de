/**
 * What the packaged stack shows of itself (deploy/observability.ts): the state machines' logs and
 * traces, the Lambdas' traces and the grants they need, the alarms on autotap's metrics and the
 * dashboard. Registered by package.slow.test.ts with config/dev.yml (the defaults: errors-only logs,
 * no tracing) and the stage `create` (tests/template/fixtures/create.yml: everything on).
 */
import type { Config } from '../../src/config/schema.ts';
import { DEFAULT_ALARMS } from '../../src/config/schema.ts';
import { METRICS, METRICS_NAMESPACE } from '../../src/observability/metrics.ts';
import { actionsOf, evaluate, REGION, rolePolicyStatements, type Template } from './inspect.ts';

export interface ObservabilityPackages {
  dev: { template: Template; config: Config };
  traced: { template: Template; config: Config; stage: string };
  /** The stage `detections`: every detections part, so their widgets and queues too. */
  detections: Template;
}

const MACHINES = ['MirrorInstancesStateMachine', 'CleanupSessionsStateMachine', 'ReconcileStateMachine'];

const ofType = (template: Template, type: string) =>
  Object.entries(template.Resources).filter(([, r]) => r.Type === type);

const machineRole = (template: Template, id: string) =>
  (template.Resources[id]!.Properties.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];

/** The roles the Lambda functions run with. */
const lambdaRoles = (template: Template) =>
  ofType(template, 'AWS::Lambda::Function').map(
    ([, f]) => (f.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0],
  );

interface Widget {
  properties: { title: string; region: string; metrics: unknown[] };
}

/** The dashboard's body as CloudWatch receives it: the Fn::Sub evaluated, then parsed. */
const dashboardBody = (template: Template) =>
  JSON.parse(evaluate(template, template.Resources.Dashboard!.Properties.DashboardBody) as string) as {
    widgets: Widget[];
  };

export function registerObservabilityTests(get: () => ObservabilityPackages): void {
  describe('observability (packaged)', () => {
    let dev: Template;
    let traced: Template;
    let tracedConfig: Config;
    let tracedStage: string;
    let detections: Template;
    beforeAll(() => {
      const packages = get();
      detections = packages.detections;
      dev = packages.dev.template;
      traced = packages.traced.template;
      tracedConfig = packages.traced.config;
      tracedStage = packages.traced.stage;
    });

    test('by default every state machine logs its errors, without execution data, to one log group; nothing is traced', () => {
      for (const id of MACHINES) {
        const props = dev.Resources[id]!.Properties;
        expect(props.LoggingConfiguration).toEqual({
          Level: 'ERROR',
          IncludeExecutionData: false,
          Destinations: [
            { CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': ['StateMachinesLogGroup', 'Arn'] } } },
          ],
        });
        expect(props.TracingConfiguration).toBeUndefined();
        expect(
          rolePolicyStatements(dev, machineRole(dev, id))
            .flatMap(actionsOf)
            .filter((a) => a.startsWith('xray:')),
        ).toEqual([]);
      }
      expect(dev.Resources.StateMachinesLogGroup!.Properties).toEqual({
        LogGroupName: '/aws/vendedlogs/states/autotap-dev',
        RetentionInDays: 30,
      });
      for (const [, f] of ofType(dev, 'AWS::Lambda::Function')) expect(f.Properties.TracingConfig).toBeUndefined();
      for (const role of lambdaRoles(dev))
        expect(
          rolePolicyStatements(dev, role)
            .flatMap(actionsOf)
            .filter((a) => a.startsWith('xray:')),
        ).toEqual([]);
    });

    test('with tracing and every event logged, the machines and every Lambda are traced and may write their traces', () => {
      for (const id of MACHINES) {
        const props = traced.Resources[id]!.Properties;
        expect(props.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
        expect(props.TracingConfiguration).toEqual({ Enabled: true });
        expect(rolePolicyStatements(traced, machineRole(traced, id)).flatMap(actionsOf)).toEqual(
          expect.arrayContaining(['xray:PutTraceSegments', 'xray:PutTelemetryRecords']),
        );
      }
      const functions = ofType(traced, 'AWS::Lambda::Function');
      expect(functions.length).toBeGreaterThanOrEqual(9);
      for (const [, f] of functions) expect(f.Properties.TracingConfig).toEqual({ Mode: 'Active' });
      for (const role of lambdaRoles(traced)) {
        const traces = rolePolicyStatements(traced, role).filter((s) =>
          actionsOf(s).some((a) => a.startsWith('xray:')),
        );
        expect({ role, traces }).toEqual({
          role,
          traces: [
            {
              Sid: 'WriteTraces',
              Effect: 'Allow',
              Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
              Resource: '*',
            },
          ],
        });
      }
      expect(traced.Resources.StateMachinesLogGroup!.Properties.LogGroupName).toBe(
        `/aws/vendedlogs/states/autotap-${tracedStage}`,
      );
    });

    test("the alarms watch the totals autotap's Lambdas write, with the stage's thresholds, and tell the ops topic", () => {
      const alarmsOf = (template: Template) =>
        Object.fromEntries(
          ofType(template, 'AWS::CloudWatch::Alarm')
            .filter(([, a]) => a.Properties.Namespace === METRICS_NAMESPACE)
            .map(([id, a]) => [id, a.Properties]),
        );
      const expectAlarms = (template: Template, stage: string, thresholds: typeof DEFAULT_ALARMS) => {
        const alarms = alarmsOf(template);
        expect(Object.keys(alarms).sort()).toEqual([
          'CoverageAlarm',
          'LaunchToMirroredAlarm',
          'MirroringFailuresAlarm',
        ]);
        for (const props of Object.values(alarms)) {
          expect(Object.keys(METRICS)).toContain(props.MetricName);
          // The dimension set every metric is kept by (src/lambda/metrics.ts writes it for each).
          expect(props.Dimensions).toEqual([
            { Name: 'service', Value: 'autotap' },
            { Name: 'stage', Value: stage },
          ]);
          expect(props.AlarmActions).toEqual([{ Ref: 'OpsTopic' }]);
        }
        expect(alarms.CoverageAlarm).toMatchObject({
          MetricName: 'CoveragePercent',
          ComparisonOperator: 'LessThanThreshold',
          Threshold: thresholds.coverageBelowPercent,
          TreatMissingData: 'ignore',
        });
        expect(alarms.LaunchToMirroredAlarm).toMatchObject({
          ExtendedStatistic: 'p99',
          Threshold: thresholds.launchToMirroredSeconds,
        });
        expect(alarms.MirroringFailuresAlarm).toMatchObject({
          MetricName: 'EnisFailed',
          Statistic: 'Sum',
          Threshold: 0,
        });
      };
      expectAlarms(dev, 'dev', DEFAULT_ALARMS);
      expectAlarms(traced, tracedStage, tracedConfig.observability.alarms);
      expect(tracedConfig.observability.alarms).toMatchObject({
        coverageBelowPercent: 90,
        launchToMirroredSeconds: 60,
      });
    });

    test('the dashboard shows coverage, latency, outcomes, drift, target load and every dead-letter queue of the stack', () => {
      const { widgets } = dashboardBody(dev);
      expect(widgets.map((w) => w.properties.title)).toEqual([
        'Coverage: eligible ENIs with an autotap session (%)',
        'Launch to mirrored (s): p50 and p99',
        'ENIs: mirrored, skipped and failed by reason',
        'Reconcile: drift found and repaired',
        'Targets: load against the sources an ENI target takes (%), and sources',
        'Dead-letter queues: messages parked',
        'Throttled: AWS calls by service, and Slack',
      ]);
      for (const w of widgets) expect(w.properties.region).toBe(REGION);
      const text = JSON.stringify(widgets);
      // Every autotap metric it names is one the Lambdas write, and of this stage.
      const named = [...text.matchAll(/\["autotap","([A-Za-z]+)"|MetricName=\\"([A-Za-z]+)\\"/g)].map(
        (m) => m[1] ?? m[2],
      );
      expect(named.length).toBeGreaterThan(10);
      for (const name of named) expect(Object.keys(METRICS)).toContain(name);
      expect(text).not.toMatch(/stage=\\"(?!dev\\")/);
      expect(dev.Resources.Dashboard!.Properties.DashboardName).toBe('autotap-dev');
      // With detections, their flow and the poll's lag too, and with Slack its rate limits beside AWS's throttles.
      const withDetections = dashboardBody(detections).widgets;
      expect(withDetections.map((w) => w.properties.title).slice(6)).toEqual([
        'Detections: received, notified, parked',
        'Detections: poll lag (s)',
        'Throttled: AWS calls by service, and Slack',
      ]);
      const throttles = (widgets: Widget[]) => JSON.stringify(widgets.at(-1)!.properties.metrics);
      expect(throttles(widgets)).not.toContain('Slack');
      expect(throttles(withDetections)).toContain('"SlackRateLimited"');
      expect(JSON.stringify(withDetections)).toContain('MetricName=\\"DetectionsTrimmed\\"');
    });

    test("the dashboard's dead-letter queues are exactly the stack's, with or without detections", () => {
      for (const template of [dev, detections]) {
        const { widgets } = dashboardBody(template);
        const dlqWidget = widgets.find((w) => w.properties.title.startsWith('Dead-letter'))!;
        const shown = dlqWidget.properties.metrics.map((m) => (m as string[])[3]);
        const queues = ofType(template, 'AWS::SQS::Queue')
          .map(([, q]) => evaluate(template, q.Properties.QueueName) as string)
          .filter((name) => name.endsWith('-dlq'));
        expect(queues.length).toBeGreaterThanOrEqual(3);
        expect([...shown].sort()).toEqual([...queues].sort());
      }
    });
  });
}
