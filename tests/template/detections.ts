/**
 * Template tests of the detections part of the stack, registered by package.slow.test.ts so that the
 * service is packaged once per configuration: config/dev.yml (no `detections`: none of it may
 * appear) and the stage `detections` (tests/template/fixtures/detections.yml: every part enabled).
 * The resolvers are also called directly for the configurations in between.
 */
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../../src/config/schema.ts';
import { emailFilterPolicy } from '../../src/detections/publish.ts';
import { detectionFunctions, detectionResources, opsAlarmArns } from '../../deploy/stage-config.ts';
import { detectionRoles, secretArns } from '../../deploy/roles.ts';
import { LAMBDA_ENVIRONMENT_LIMIT_BYTES, measureEnvironments } from '../../deploy/package-limits.ts';
import {
  ACCOUNT,
  MAX_ZIP_BYTES,
  REGION,
  actionsOf,
  asArray,
  evaluate,
  loadBundle,
  policyDocuments,
  readZip,
  resourcesOf,
  rolePolicyStatements,
  type PolicyDocument,
  type RuleTarget,
  type Template,
} from './inspect.ts';

export interface DetectionsPackage {
  /** The template packaged as the stage `detections`. */
  template: Template;
  /** The project copy it was packaged in. */
  dir: string;
  config: Config;
}

interface Suite extends DetectionsPackage {
  dev: Template;
  devConfig: Config;
  temporaryDirs: string[];
}

const STAGE = 'detections';
const DETECTION_FUNCTIONS = {
  detectionsPoll: { logicalId: 'DetectionsPollLambdaFunction', role: 'DetectionsPollRole' },
  detectionsWebhook: { logicalId: 'DetectionsWebhookLambdaFunction', role: 'DetectionsWebhookRole' },
  detectionsProcess: { logicalId: 'DetectionsProcessLambdaFunction', role: 'DetectionsProcessRole' },
  slackNotify: { logicalId: 'SlackNotifyLambdaFunction', role: 'SlackNotifyRole' },
} as const;
type DetectionFunction = keyof typeof DETECTION_FUNCTIONS;

/** Logical ids only the detections part creates. */
const DETECTION_RESOURCE = /^(Detections|Slack|Chatbot|Poll)/;
const CONSUME = ['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'];

const queueArn = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:autotap-${STAGE}-${name}`;
const topicArn = (name: string) => `arn:aws:sns:${REGION}:${ACCOUNT}:autotap-${STAGE}-${name}`;
const TABLE_ARN = '{DetectionsTable.Arn}';

const variablesOf = (template: Template, logicalId: string) =>
  (template.Resources[logicalId]!.Properties.Environment as { Variables: Record<string, unknown> }).Variables;

/** A role's grants without its log statement, as sorted `action resource` lines (and their condition, if any). */
function grants(template: Template, roleId: string): string[] {
  return rolePolicyStatements(template, roleId)
    .filter((s) => !actionsOf(s).some((a) => a.startsWith('logs:')))
    .flatMap((s) => {
      expect(s.Effect).toBe('Allow');
      const condition = s.Condition === undefined ? '' : ` if ${JSON.stringify(s.Condition)}`;
      return actionsOf(s).flatMap((action) =>
        resourcesOf(template, s).map((resource) => `${action} ${resource}${condition}`),
      );
    })
    .sort();
}

/** The table, for items whose partition key starts with `prefix` only (dynamodb:LeadingKeys). */
const tableItems = (prefix: string) =>
  `${TABLE_ARN} if ${JSON.stringify({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${prefix}*`] } })}`;

/** The mirroring part's alarms, which may always publish to the ops topic. */
const MIRRORING_ALARMS = [
  { 'Fn::GetAtt': ['LaunchEventsDeadLetterAlarm', 'Arn'] },
  { 'Fn::GetAtt': ['RuleEventsDeadLetterAlarm', 'Arn'] },
  { 'Fn::GetAtt': ['TagChangesDeadLetterAlarm', 'Arn'] },
  // The alarms on autotap's own metrics (deploy/observability.ts).
  { 'Fn::GetAtt': ['CoverageAlarm', 'Arn'] },
  { 'Fn::GetAtt': ['LaunchToMirroredAlarm', 'Arn'] },
  { 'Fn::GetAtt': ['MirroringFailuresAlarm', 'Arn'] },
];
/** With a poll, the lag of its detections is alarmed on too. */
const POLL_LAG_ALARM = { 'Fn::GetAtt': ['PollLagAlarm', 'Arn'] };

const lines = (actions: string[], resources: string[]) => actions.flatMap((a) => resources.map((r) => `${a} ${r}`));

/** The fixture's configuration with `detections` changed. */
function variant(config: Config, change: Partial<NonNullable<Config['detections']>>): Config {
  return { ...config, detections: { ...config.detections!, ...change } };
}

export function registerDetectionTests(get: () => Suite): void {
  describe('detections, only when configured', () => {
    let suite: Suite;
    let template: Template;
    let detections: NonNullable<Config['detections']>;
    beforeAll(() => {
      suite = get();
      template = suite.template;
      detections = suite.config.detections!;
    });

    describe('without a detections section (config/dev.yml)', () => {
      test('the stack has none of their resources, functions, event sources or outputs', () => {
        expect(suite.devConfig.detections).toBeUndefined();
        const { Resources } = suite.dev;
        expect(Object.keys(Resources).filter((id) => DETECTION_RESOURCE.test(id))).toEqual([]);
        const types = new Set(Object.values(Resources).map((r) => r.Type));
        // The one table of a stack without detections is the session registry.
        expect(
          Object.entries(Resources)
            .filter(([, r]) => r.Type === 'AWS::DynamoDB::Table')
            .map(([id]) => id),
        ).toEqual(['SessionsTable']);
        for (const type of ['AWS::Lambda::Url', 'AWS::Lambda::Permission']) expect(types.has(type)).toBe(false);
        // The one event source of a stack without detections reads the tag changes.
        expect(
          Object.values(Resources)
            .filter((r) => r.Type === 'AWS::Lambda::EventSourceMapping')
            .map((r) => r.Properties.EventSourceArn),
        ).toEqual([{ 'Fn::GetAtt': ['TagChangesQueue', 'Arn'] }]);
        // Launch events' and rule events' dead letters, the tag changes and their dead letters.
        expect(Object.values(Resources).filter((r) => r.Type === 'AWS::SQS::Queue')).toHaveLength(4);
        expect(Object.values(Resources).filter((r) => r.Type === 'AWS::SNS::Topic')).toHaveLength(1);
        const outputs = Object.keys((suite.dev as Template & { Outputs: Record<string, unknown> }).Outputs);
        expect(outputs.filter((id) => DETECTION_RESOURCE.test(id))).toEqual([]);
        // The ops topic takes alarms from the mirroring part's dead-letter alarms alone.
        const statement = (Resources.OpsTopicPolicy!.Properties.PolicyDocument as PolicyDocument).Statement.find(
          (s) => s.Sid === 'DeadLetterAlarm',
        )!;
        expect(statement.Condition).toEqual({ ArnEquals: { 'aws:SourceArn': MIRRORING_ALARMS } });
      });

      test.each([
        ['no section', (config: Config): Config => ({ ...config, detections: undefined })],
        ['enabled: false', (config: Config): Config => variant(config, { enabled: false })],
      ])('the resolvers return nothing for %s', (_name, configure) => {
        const config = configure(suite.config);
        expect(detectionFunctions(config, STAGE)).toEqual({});
        expect(detectionResources(config, STAGE)).toEqual({ Resources: {} });
        expect(detectionRoles(config)).toEqual({});
        expect(opsAlarmArns(config)).toEqual(MIRRORING_ALARMS);
      });
    });

    describe('functions', () => {
      test('the four functions run nodejs24.x on arm64, each with its own role', () => {
        const functions = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
        const ids = functions.map(([id]) => id);
        expect(ids).toEqual(expect.arrayContaining(Object.values(DETECTION_FUNCTIONS).map((f) => f.logicalId)));
        expect(ids).toHaveLength(10 + 4);
        for (const { logicalId, role } of Object.values(DETECTION_FUNCTIONS)) {
          const props = template.Resources[logicalId]!.Properties;
          expect(props.Runtime).toBe('nodejs24.x');
          expect(props.Architectures).toEqual(['arm64']);
          expect(props.Role).toEqual({ 'Fn::GetAtt': [role, 'Arn'] });
        }
        const roles = functions.map(([, r]) => JSON.stringify(r.Properties.Role));
        expect(new Set(roles).size).toBe(roles.length);
      });

      test('each detection function gets its own environment (and never logs the webhook event)', () => {
        const ref = (id: string) => ({ Ref: id });
        const expected: Record<DetectionFunction, Record<string, unknown>> = {
          detectionsPoll: { DETECTIONS_TABLE: ref('DetectionsTable'), DETECTIONS_QUEUE_URL: ref('DetectionsQueue') },
          detectionsWebhook: {
            DETECTIONS_TABLE: ref('DetectionsTable'),
            DETECTIONS_QUEUE_URL: ref('DetectionsQueue'),
            POWERTOOLS_LOGGER_LOG_EVENT: 'false',
          },
          detectionsProcess: {
            DETECTIONS_TABLE: ref('DetectionsTable'),
            DETECTIONS_TOPIC_ARN: ref('DetectionsTopic'),
            DETECTIONS_EMAIL_TOPIC_ARN: ref('DetectionsEmailTopic'),
            SLACK_QUEUE_URL: ref('SlackQueue'),
          },
          slackNotify: {},
        };
        const common = [
          'OPS_TOPIC_ARN',
          'POWERTOOLS_SERVICE_NAME',
          'AUTOTAP_STAGE',
          'LOG_LEVEL',
          'AWS_RETRY_MODE',
          'AWS_MAX_ATTEMPTS',
        ];
        for (const [key, { logicalId }] of Object.entries(DETECTION_FUNCTIONS) as [
          DetectionFunction,
          { logicalId: string },
        ][]) {
          const variables = variablesOf(template, logicalId);
          expect(Object.keys(variables).sort()).toEqual([...common, ...Object.keys(expected[key])].sort());
          expect(variables).toMatchObject(expected[key]);
          expect(variables.OPS_TOPIC_ARN).toEqual({ Ref: 'OpsTopic' });
          const [measured] = measureEnvironments({
            functions: { [key]: variables },
            resources: template.Resources,
            region: REGION,
          });
          expect(measured!.bytes).toBeLessThanOrEqual(LAMBDA_ENVIRONMENT_LIMIT_BYTES);
        }
        for (const [id, resource] of Object.entries(template.Resources)) {
          if (resource.Type === 'AWS::Lambda::Function')
            expect({ id, logEvent: variablesOf(template, id).POWERTOOLS_LOGGER_LOG_EVENT }).not.toEqual({
              id,
              logEvent: 'true',
            });
        }
      });

      test('each detection zip holds one ES module bundle, under 1 MB, that loads on Node 24', async () => {
        const extracted = mkdtempSync(path.join(os.tmpdir(), 'autotap-detection-bundles-'));
        suite.temporaryDirs.push(extracted);
        const sizes: Record<string, number> = {};
        for (const [key, { logicalId }] of Object.entries(DETECTION_FUNCTIONS)) {
          const zipFile = path.join(suite.dir, '.serverless', `${key}.zip`);
          expect(existsSync(zipFile)).toBe(true);
          sizes[key] = statSync(zipFile).size;
          expect(sizes[key]).toBeLessThan(MAX_ZIP_BYTES);
          const handler = String(template.Resources[logicalId]!.Properties.Handler);
          const modulePath = `${handler.slice(0, handler.lastIndexOf('.'))}.mjs`;
          const entries = readZip(zipFile);
          expect([...entries.keys()]).toEqual([modulePath]);
          const env = Object.fromEntries(
            Object.entries(variablesOf(template, logicalId)).map(([name, value]) => [
              name,
              String(evaluate(template, value)),
            ]),
          );
          expect(await loadBundle(entries.get(modulePath)!, modulePath, path.join(extracted, key), env)).toBe(
            'function',
          );
        }
        console.log(`detection function zips (bytes): ${JSON.stringify(sizes)}`);
      });

      test('the poller runs on detections.poll.schedule', () => {
        const scheduled = Object.values(template.Resources).filter(
          (r) => r.Type === 'AWS::Events::Rule' && r.Properties.ScheduleExpression,
        );
        const poll = scheduled.filter((r) =>
          asArray(r.Properties.Targets as RuleTarget[]).some(
            (t) => JSON.stringify(t.Arn) === JSON.stringify({ 'Fn::GetAtt': ['DetectionsPollLambdaFunction', 'Arn'] }),
          ),
        );
        expect(poll).toHaveLength(1);
        expect(poll[0]!.Properties.ScheduleExpression).toBe(detections.poll.schedule);
        expect(poll[0]!.Properties.State).toBe('ENABLED');
        expect(template.Resources.DetectionsPollLambdaFunction!.Properties.Timeout).toBeGreaterThanOrEqual(30);
      });

      test("a poll that cannot be delivered or fails after Lambda's retries is parked in the poll dead-letter queue, and ops is told", () => {
        const [ruleId, rule] = Object.entries(template.Resources).find(
          ([, r]) =>
            r.Type === 'AWS::Events::Rule' &&
            asArray(r.Properties.Targets as RuleTarget[]).some(
              (t) =>
                JSON.stringify(t.Arn) === JSON.stringify({ 'Fn::GetAtt': ['DetectionsPollLambdaFunction', 'Arn'] }),
            ),
        )!;
        const [target] = rule.Properties.Targets as (RuleTarget & { RetryPolicy?: unknown })[];
        const deadLetters = { 'Fn::GetAtt': ['PollDeadLetterQueue', 'Arn'] };
        expect(target!.DeadLetterConfig).toEqual({ Arn: deadLetters });
        expect(target!.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 24 });
        // Only that rule may send to the queue (by its ARN, as the rule resolves it).
        const policy = template.Resources.PollDeadLetterQueuePolicy!.Properties;
        expect(policy.Queues).toEqual([{ Ref: 'PollDeadLetterQueue' }]);
        const [statement, ...others] = (policy.PolicyDocument as PolicyDocument).Statement;
        expect(others).toEqual([]);
        expect(statement).toMatchObject({
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: deadLetters,
        });
        expect(evaluate(template, statement!.Condition!.ArnEquals!['aws:SourceArn'])).toBe(
          evaluate(template, { 'Fn::GetAtt': [ruleId, 'Arn'] }),
        );
        // The asynchronous invocation's failures go to the same queue, which the poller's role may send to.
        const invokeConfig = Object.values(template.Resources).find(
          (r) => r.Type === 'AWS::Lambda::EventInvokeConfig',
        )!.Properties;
        expect(invokeConfig).toMatchObject({
          FunctionName: { Ref: 'DetectionsPollLambdaFunction' },
          DestinationConfig: { OnFailure: { Destination: deadLetters } },
          MaximumRetryAttempts: 2,
          MaximumEventAgeInSeconds: 3600,
        });
        expect(grants(template, 'DetectionsPollRole')).toContain(`sqs:SendMessage ${queueArn('poll-dlq')}`);
        // Both alarms tell the ops topic: a message in the queue, and errors 15 minutes in a row.
        expect(template.Resources.PollDeadLetterAlarm!.Properties).toMatchObject({
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['PollDeadLetterQueue', 'QueueName'] } }],
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          AlarmActions: [{ Ref: 'OpsTopic' }],
        });
        expect(template.Resources.PollErrorsAlarm!.Properties).toMatchObject({
          Namespace: 'AWS/Lambda',
          MetricName: 'Errors',
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: 'DetectionsPollLambdaFunction' } }],
          Statistic: 'Sum',
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          AlarmActions: [{ Ref: 'OpsTopic' }],
        });
      });

      test('the webhook is a public function URL (AuthType NONE) with the permissions AWS requires for one', () => {
        const urls = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Url');
        expect(urls.map(([id]) => id)).toEqual(['DetectionsWebhookLambdaFunctionUrl']);
        const webhook = { 'Fn::GetAtt': ['DetectionsWebhookLambdaFunction', 'Arn'] };
        expect(urls[0]![1].Properties).toEqual({ AuthType: 'NONE', TargetFunctionArn: webhook });
        const permissions = Object.values(template.Resources)
          .filter(
            (r) =>
              r.Type === 'AWS::Lambda::Permission' &&
              JSON.stringify(r.Properties.FunctionName) === JSON.stringify(webhook),
          )
          .map((r) => r.Properties);
        // Anyone may call the URL; the handler refuses every request without the shared secret.
        expect(permissions).toEqual(
          expect.arrayContaining([
            { FunctionName: webhook, Action: 'lambda:InvokeFunctionUrl', Principal: '*', FunctionUrlAuthType: 'NONE' },
            { FunctionName: webhook, Action: 'lambda:InvokeFunction', Principal: '*', InvokedViaFunctionUrl: true },
          ]),
        );
        expect(permissions).toHaveLength(2);
        // No other function may be invoked by anyone.
        for (const permission of Object.values(template.Resources).filter(
          (r) => r.Type === 'AWS::Lambda::Permission',
        )) {
          if (permission.Properties.Principal === '*') expect(permission.Properties.FunctionName).toEqual(webhook);
        }
      });

      test('the SQS event sources report batch item failures; the Slack notifier is never throttled below its event source', () => {
        const mappings = Object.values(template.Resources)
          .filter((r) => r.Type === 'AWS::Lambda::EventSourceMapping')
          .map((r) => r.Properties)
          .filter(
            (m) => JSON.stringify(m.EventSourceArn) !== JSON.stringify({ 'Fn::GetAtt': ['TagChangesQueue', 'Arn'] }),
          );
        expect(mappings).toHaveLength(2);
        for (const mapping of mappings) expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
        const of = (fn: string) =>
          mappings.find((m) => JSON.stringify(m.FunctionName) === JSON.stringify({ 'Fn::GetAtt': [fn, 'Arn'] }))!;
        expect(of('DetectionsProcessLambdaFunction')).toMatchObject({
          EventSourceArn: { 'Fn::GetAtt': ['DetectionsQueue', 'Arn'] },
          Enabled: true,
        });
        expect(of('SlackNotifyLambdaFunction')).toMatchObject({
          EventSourceArn: { 'Fn::GetAtt': ['SlackQueue', 'Arn'] },
          BatchSize: 100,
          MaximumBatchingWindowInSeconds: 20,
          ScalingConfig: { MaximumConcurrency: 2 },
          Enabled: true,
        });
        const slack = template.Resources.SlackNotifyLambdaFunction!.Properties;
        // Event source mappings do not honour reserved concurrency: below MaximumConcurrency the
        // second batch is throttled and its messages move toward the dead-letter queue untried.
        expect(slack.ReservedConcurrentExecutions).toBe(
          (of('SlackNotifyLambdaFunction').ScalingConfig as { MaximumConcurrency: number }).MaximumConcurrency,
        );
        expect(slack.Timeout).toBe(60);
        for (const id of ['DetectionsPollLambdaFunction', 'DetectionsProcessLambdaFunction']) {
          expect(template.Resources[id]!.Properties.ReservedConcurrentExecutions).toBeUndefined();
        }
      });

      test('detections-process and detections-poll get the memory their measured peaks need (about 316 MB RSS in the backlog drain), the others the default', () => {
        expect(template.Resources.DetectionsProcessLambdaFunction!.Properties.MemorySize).toBe(512);
        expect(template.Resources.DetectionsPollLambdaFunction!.Properties.MemorySize).toBe(512);
        for (const id of ['DetectionsWebhookLambdaFunction', 'SlackNotifyLambdaFunction']) {
          expect(template.Resources[id]!.Properties.MemorySize).toBe(256);
        }
      });

      test("the webhook's concurrency is capped by detections.webhook.reservedConcurrency (default 10)", () => {
        expect(detections.webhook.reservedConcurrency).toBe(10);
        expect(template.Resources.DetectionsWebhookLambdaFunction!.Properties.ReservedConcurrentExecutions).toBe(10);
        const capped = variant(suite.config, { webhook: { ...detections.webhook, reservedConcurrency: 3 } });
        expect(detectionFunctions(capped, STAGE).detectionsWebhook!.reservedConcurrency).toBe(3);
      });
    });

    describe('storage, queues and alarms', () => {
      test('the table: on demand, pk hash key, TTL on expiresAt, point-in-time recovery, default encryption', () => {
        const tables = Object.entries(template.Resources).filter(
          ([id, r]) => r.Type === 'AWS::DynamoDB::Table' && id !== 'SessionsTable',
        );
        expect(tables.map(([id]) => id)).toEqual(['DetectionsTable']);
        const props = tables[0]![1].Properties;
        expect(props).toMatchObject({
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        });
        expect(props.SSESpecification).toBeUndefined();
      });

      test('each queue has a dead-letter queue with a redrive policy; all are encrypted', () => {
        const queue = (id: string) => template.Resources[id]!.Properties;
        expect(queue('DetectionsQueue').RedrivePolicy).toEqual({
          deadLetterTargetArn: { 'Fn::GetAtt': ['DetectionsDeadLetterQueue', 'Arn'] },
          maxReceiveCount: 5,
        });
        expect(queue('SlackQueue').RedrivePolicy).toEqual({
          deadLetterTargetArn: { 'Fn::GetAtt': ['SlackDeadLetterQueue', 'Arn'] },
          maxReceiveCount: 10,
        });
        for (const [source, deadLetters, name] of [
          ['DetectionsQueue', 'DetectionsDeadLetterQueue', 'detections'],
          ['SlackQueue', 'SlackDeadLetterQueue', 'slack'],
        ] as const) {
          expect(queue(source).QueueName).toBe(`autotap-${STAGE}-${name}`);
          expect(queue(deadLetters).QueueName).toBe(`autotap-${STAGE}-${name}-dlq`);
          expect(queue(deadLetters).MessageRetentionPeriod).toBe(14 * 24 * 3600);
          // A message keeps its first enqueue time in the dead-letter queue: it must outlive the source's retention.
          expect(Number(queue(source).MessageRetentionPeriod)).toBeLessThan(
            Number(queue(deadLetters).MessageRetentionPeriod),
          );
          // Only the source queue may move messages into it, so a redrive goes back where they came from.
          const allow = queue(deadLetters).RedriveAllowPolicy as {
            redrivePermission: string;
            sourceQueueArns: unknown[];
          };
          expect(allow.redrivePermission).toBe('byQueue');
          expect(allow.sourceQueueArns.map((arn) => evaluate(template, arn))).toEqual([queueArn(name)]);
          expect(evaluate(template, { 'Fn::GetAtt': [source, 'Arn'] })).toBe(queueArn(name));
        }
        const queues = Object.values(template.Resources).filter((r) => r.Type === 'AWS::SQS::Queue');
        // launch events, rule events, tag changes (+ dlq), detections (+ dlq), Slack (+ dlq), poll dlq
        expect(queues).toHaveLength(9);
        for (const q of queues) expect(q.Properties.SqsManagedSseEnabled).toBe(true);
      });

      test("visibility timeouts cover six times the consuming function's timeout", () => {
        const timeout = (id: string) => Number(template.Resources[id]!.Properties.Timeout);
        const visibility = (id: string) => Number(template.Resources[id]!.Properties.VisibilityTimeout);
        expect(visibility('DetectionsQueue')).toBeGreaterThanOrEqual(6 * timeout('DetectionsProcessLambdaFunction'));
        expect(visibility('SlackQueue')).toBeGreaterThanOrEqual(6 * timeout('SlackNotifyLambdaFunction') + 20);
      });

      test('alarms on both dead-letter queues notify the ops topic, which takes them by their ARNs only', () => {
        const alarms = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm');
        const byQueue = Object.fromEntries(
          alarms.map(([id, r]) => [
            JSON.stringify((r.Properties.Dimensions as { Value: unknown }[])[0]!.Value),
            { id, props: r.Properties },
          ]),
        );
        const alarmIds: string[] = [];
        for (const queue of ['DetectionsDeadLetterQueue', 'SlackDeadLetterQueue', 'PollDeadLetterQueue']) {
          const alarm = byQueue[JSON.stringify({ 'Fn::GetAtt': [queue, 'QueueName'] })]!;
          expect(alarm).toBeDefined();
          expect(alarm.props).toMatchObject({
            MetricName: 'ApproximateNumberOfMessagesVisible',
            Threshold: 0,
            ComparisonOperator: 'GreaterThanThreshold',
            AlarmActions: [{ Ref: 'OpsTopic' }],
          });
          alarmIds.push(alarm.id);
        }
        const statement = (
          template.Resources.OpsTopicPolicy!.Properties.PolicyDocument as PolicyDocument
        ).Statement.find((s) => s.Sid === 'DeadLetterAlarm')!;
        expect(statement).toMatchObject({
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: 'sns:Publish',
          Resource: { Ref: 'OpsTopic' },
        });
        const allowed = statement.Condition!.ArnEquals!['aws:SourceArn'] as unknown[];
        const expected = [
          ...MIRRORING_ALARMS,
          POLL_LAG_ALARM,
          ...[...alarmIds, 'PollErrorsAlarm'].map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] })),
        ];
        expect(allowed).toEqual(expect.arrayContaining(expected));
        expect(allowed).toHaveLength(expected.length);
        // Every alarm of the stack is one the ops topic takes.
        expect(alarms).toHaveLength(expected.length);
      });
    });

    describe('topics and email', () => {
      test('a standard detections topic, an email topic and no Chatbot topic for block-kit', () => {
        expect(template.Resources.DetectionsTopic).toMatchObject({
          Type: 'AWS::SNS::Topic',
          Properties: { TopicName: `autotap-${STAGE}-detections` },
        });
        expect(template.Resources.DetectionsEmailTopic).toMatchObject({
          Type: 'AWS::SNS::Topic',
          Properties: { TopicName: `autotap-${STAGE}-detections-email` },
        });
        for (const topic of Object.values(template.Resources).filter((r) => r.Type === 'AWS::SNS::Topic'))
          expect(topic.Properties.FifoTopic).toBeUndefined();
        expect(template.Resources.DetectionsChatbotTopic).toBeUndefined();
      });

      test('one email subscription per detections.emails entry, filtered on its riskScore minimum', () => {
        const subscriptions = Object.values(template.Resources)
          .filter(
            (r) =>
              r.Type === 'AWS::SNS::Subscription' &&
              JSON.stringify(r.Properties.TopicArn) === '{"Ref":"DetectionsEmailTopic"}',
          )
          .map((r) => r.Properties);
        expect(subscriptions).toHaveLength(detections.emails.length);
        const byAddress = Object.fromEntries(subscriptions.map((s) => [s.Endpoint as string, s]));
        // soc@ has no minimum of its own: detections.minRiskScore (30); ciso@ asks for 80.
        expect(byAddress['soc@example.com']).toEqual({
          TopicArn: { Ref: 'DetectionsEmailTopic' },
          Protocol: 'email',
          Endpoint: 'soc@example.com',
          FilterPolicyScope: 'MessageAttributes',
          FilterPolicy: { riskScore: [{ numeric: ['>=', 30] }] },
        });
        expect(byAddress['ciso@example.com']!.FilterPolicy).toEqual({ riskScore: [{ numeric: ['>=', 80] }] });
        for (const recipient of detections.emails) {
          expect(byAddress[recipient.address]!.FilterPolicy).toEqual(
            emailFilterPolicy(recipient.minRiskScore ?? detections.minRiskScore),
          );
        }
        // Machines subscribe to the detections topic themselves; the ops emails stay on the ops topic.
        const others = Object.values(template.Resources).filter(
          (r) =>
            r.Type === 'AWS::SNS::Subscription' &&
            JSON.stringify(r.Properties.TopicArn) !== '{"Ref":"DetectionsEmailTopic"}',
        );
        expect(others.map((r) => r.Properties.TopicArn)).toEqual(
          suite.config.notifications.opsEmails.map(() => ({ Ref: 'OpsTopic' })),
        );
      });

      test('outputs: the webhook URL, the topics, the queues and the table', () => {
        const outputs = (template as Template & { Outputs: Record<string, { Value: unknown }> }).Outputs;
        expect(outputs.DetectionsWebhookLambdaFunctionUrl!.Value).toEqual({
          'Fn::GetAtt': ['DetectionsWebhookLambdaFunctionUrl', 'FunctionUrl'],
        });
        for (const [output, id] of [
          ['DetectionsTopicArn', 'DetectionsTopic'],
          ['DetectionsEmailTopicArn', 'DetectionsEmailTopic'],
          ['DetectionsQueueUrl', 'DetectionsQueue'],
          ['DetectionsDeadLetterQueueUrl', 'DetectionsDeadLetterQueue'],
          ['SlackQueueUrl', 'SlackQueue'],
          ['SlackDeadLetterQueueUrl', 'SlackDeadLetterQueue'],
          ['DetectionsTableName', 'DetectionsTable'],
        ]) {
          expect(outputs[output!]).toEqual({ Value: { Ref: id } });
        }
      });
    });

    describe('IAM of the detection functions', () => {
      test('detectionsPoll: the appliance secret, read and write the cursor only, send to the detections queue and its dead-letter queue, report parked detections to ops', () => {
        expect(grants(template, 'DetectionsPollRole')).toEqual(
          [
            ...lines(['secretsmanager:GetSecretValue'], secretArns(detections.appliance!.secretArn)),
            ...lines(['dynamodb:GetItem', 'dynamodb:PutItem'], [tableItems('cursor#')]),
            ...lines(['sqs:SendMessage'], [queueArn('detections'), queueArn('poll-dlq')]),
            ...lines(['sns:Publish'], [topicArn('ops')]),
          ].sort(),
        );
      });

      test('detectionsWebhook: the webhook secret, get and put replay keys only (never delete), send to the detections queue', () => {
        expect(grants(template, 'DetectionsWebhookRole')).toEqual(
          [
            ...lines(['secretsmanager:GetSecretValue'], secretArns(detections.webhook.secretArn!)),
            ...lines(['dynamodb:GetItem', 'dynamodb:PutItem'], [tableItems('webhook-replay#')]),
            ...lines(['sqs:SendMessage'], [queueArn('detections')]),
          ].sort(),
        );
      });

      test('detectionsProcess: consume the detections queue, detection records only, publish to its three topics, send to the Slack queue', () => {
        expect(grants(template, 'DetectionsProcessRole')).toEqual(
          [
            ...lines(CONSUME, [queueArn('detections')]),
            ...lines(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], [tableItems('detection#')]),
            ...lines(['sns:Publish'], [topicArn('detections'), topicArn('detections-email'), topicArn('ops')]),
            ...lines(['sqs:SendMessage'], [queueArn('slack')]),
          ].sort(),
        );
      });

      test('slackNotify: consume the Slack queue, the Slack webhook secret, publish to the ops topic', () => {
        expect(grants(template, 'SlackNotifyRole')).toEqual(
          [
            ...lines(CONSUME, [queueArn('slack')]),
            ...lines(['secretsmanager:GetSecretValue'], secretArns(detections.slack!.secretArn)),
            ...lines(['sns:Publish'], [topicArn('ops')]),
          ].sort(),
        );
      });

      test('secretArns: the configured ARN, and with the suffix AWS adds when it was configured without', () => {
        expect(secretArns('arn:aws:secretsmanager:us-east-1:123456789012:secret:autotap/webhook')).toEqual([
          'arn:aws:secretsmanager:us-east-1:123456789012:secret:autotap/webhook',
          'arn:aws:secretsmanager:us-east-1:123456789012:secret:autotap/webhook-??????',
        ]);
      });

      test('every detection function writes only to its own log group', () => {
        for (const [key, { role }] of Object.entries(DETECTION_FUNCTIONS)) {
          const logs = rolePolicyStatements(template, role).filter((s) =>
            actionsOf(s).some((a) => a.startsWith('logs:')),
          );
          expect(logs.flatMap(actionsOf).sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
          expect(logs.flatMap((s) => resourcesOf(template, s))).toEqual([
            `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/autotap-${STAGE}-${key}:*`,
          ]);
        }
      });

      test('only the detection roles reach secrets, the table, the detection queues and topics; the mirroring roles are unchanged', () => {
        const detectionRoleIds = new Set<string>(Object.values(DETECTION_FUNCTIONS).map((f) => f.role));
        for (const { where, document } of policyDocuments(template)) {
          const roleId = where.split('/')[0]!;
          for (const statement of document.Statement) {
            // The session registry is the mirroring roles' (tests/template/package.slow.test.ts checks them).
            if (resourcesOf(template, statement).some((r) => /SessionsTable/.test(r))) continue;
            const touches =
              actionsOf(statement).some(
                (a) => /^(secretsmanager|dynamodb|sqs):/.test(a) && statement.Sid !== 'ConsumeTagChangesQueue',
              ) ||
              resourcesOf(template, statement).some((r) =>
                /autotap-detections-(detections|slack)|DetectionsTable/.test(r),
              );
            if (
              touches &&
              ![
                'LaunchEventsDeadLetterQueuePolicy',
                'RuleEventsDeadLetterQueuePolicy',
                'PollDeadLetterQueuePolicy',
                'TagChangesQueuePolicy',
              ].includes(roleId)
            )
              expect({ where, detection: detectionRoleIds.has(roleId) }).toEqual({ where, detection: true });
          }
        }
        // The fixture's mirroring section is config/dev.yml's with the account's ids for its example
        // ids (which only the demo stage may package): only the stage in names and the ids may differ.
        const devIds = (value: unknown) =>
          JSON.parse(
            JSON.stringify(value)
              .replaceAll(suite.config.mirroring.filterId!, suite.devConfig.mirroring.filterId!)
              .replaceAll(suite.config.mirroring.targets[0]!.id, suite.devConfig.mirroring.targets[0]!.id),
          ) as unknown;
        expect(devIds(suite.config.mirroring)).toEqual(suite.devConfig.mirroring);
        const asStage = (value: unknown) =>
          JSON.parse(
            JSON.stringify(value)
              .replace(/autotap-dev-/g, `autotap-${STAGE}-`)
              .replace(/"dev-(us-east-1-)?autotap-/g, `"${STAGE}-$1autotap-`),
          ) as unknown;
        for (const [id, resource] of Object.entries(suite.dev.Resources).filter(
          ([, r]) => r.Type === 'AWS::IAM::Role',
        )) {
          expect({ id, policies: devIds(template.Resources[id]?.Properties.Policies) }).toEqual({
            id,
            policies: asStage(resource.Properties.Policies),
          });
        }
      });
    });

    describe('configurations in between (the resolvers directly)', () => {
      /** Every function's role exists, and every role belongs to a function. */
      function consistent(config: Config) {
        const functions = detectionFunctions(config, STAGE);
        const roles = detectionRoles(config);
        expect(
          Object.values(functions)
            .map((f) => f.role)
            .sort(),
        ).toEqual(Object.keys(roles).sort());
        return {
          functions,
          roles,
          resources: detectionResources(config, STAGE).Resources,
          outputs: detectionResources(config, STAGE).Outputs ?? {},
        };
      }
      const roleGrants = (roles: Record<string, { Properties: Record<string, unknown> }>, id: string) =>
        (roles[id]!.Properties.Policies as { PolicyDocument: PolicyDocument }[]).flatMap(
          (p) => p.PolicyDocument.Statement,
        );

      test('everything enabled: the four functions', () => {
        expect(Object.keys(consistent(suite.config).functions).sort()).toEqual(Object.keys(DETECTION_FUNCTIONS).sort());
      });

      test('without slack: no Slack queue, notifier or alarm; the processor neither has nor may use a Slack queue', () => {
        const config = variant(suite.config, { slack: undefined });
        const { functions, roles, resources } = consistent(config);
        expect(Object.keys(functions).sort()).toEqual(['detectionsPoll', 'detectionsProcess', 'detectionsWebhook']);
        expect(Object.keys(resources).filter((id) => id.startsWith('Slack'))).toEqual([]);
        expect(Object.keys(functions.detectionsProcess!.environment as object)).not.toContain('SLACK_QUEUE_URL');
        expect(roleGrants(roles, 'DetectionsProcessRole').flatMap(actionsOf)).not.toContain('sqs:SendMessage');
        expect(opsAlarmArns(config)).toEqual([
          ...MIRRORING_ALARMS,
          POLL_LAG_ALARM,
          { 'Fn::GetAtt': ['DetectionsDeadLetterAlarm', 'Arn'] },
          { 'Fn::GetAtt': ['PollDeadLetterAlarm', 'Arn'] },
          { 'Fn::GetAtt': ['PollErrorsAlarm', 'Arn'] },
        ]);
      });

      test('slack.format amazon-q: a Chatbot topic (output), the notifier publishes there and reads no webhook secret', () => {
        const config = variant(suite.config, { slack: { ...suite.config.detections!.slack!, format: 'amazon-q' } });
        const { functions, roles, resources, outputs } = consistent(config);
        expect(resources.DetectionsChatbotTopic).toMatchObject({
          Type: 'AWS::SNS::Topic',
          Properties: { TopicName: `autotap-${STAGE}-detections-chatbot` },
        });
        expect(outputs.DetectionsChatbotTopicArn).toEqual({ Value: { Ref: 'DetectionsChatbotTopic' } });
        expect(functions.slackNotify!.environment).toEqual({ CHATBOT_TOPIC_ARN: { Ref: 'DetectionsChatbotTopic' } });
        const statements = roleGrants(roles, 'SlackNotifyRole');
        expect(statements.flatMap(actionsOf)).not.toContain('secretsmanager:GetSecretValue');
        const publish = statements.filter((s) => actionsOf(s).includes('sns:Publish'));
        expect(publish.flatMap((s) => asArray(s.Resource))).toEqual([
          { Ref: 'OpsTopic' },
          { Ref: 'DetectionsChatbotTopic' },
        ]);
      });

      test('webhook disabled: no webhook function, role or URL', () => {
        const { functions, roles } = consistent(
          variant(suite.config, { webhook: { enabled: false, reservedConcurrency: 10 } }),
        );
        expect(functions.detectionsWebhook).toBeUndefined();
        expect(roles.DetectionsWebhookRole).toBeUndefined();
      });

      test.each([
        ['poll disabled', { poll: { enabled: false, schedule: 'rate(1 minute)', pageSize: 1000 } }],
        ['no appliance', { appliance: undefined }],
      ] as [string, Partial<NonNullable<Config['detections']>>][])(
        '%s: no poller, role or schedule',
        (_name, change) => {
          const { functions, roles, resources } = consistent(variant(suite.config, change));
          expect(functions.detectionsPoll).toBeUndefined();
          expect(roles.DetectionsPollRole).toBeUndefined();
          expect(Object.keys(resources).filter((id) => id.startsWith('Poll'))).toEqual([]);
          expect(Object.keys(functions)).toContain('detectionsProcess');
        },
      );

      test('no emails: no email subscriptions, the email topic stays for the processor', () => {
        const { resources } = consistent(variant(suite.config, { emails: [] }));
        expect(Object.values(resources).filter((r) => r.Type === 'AWS::SNS::Subscription')).toEqual([]);
        expect(resources.DetectionsEmailTopic).toBeDefined();
      });
    });
  });
}
