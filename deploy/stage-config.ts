/**
 * Stage configuration for serverless.yml: `${file(deploy/serverless.js):bundledConfig}` and friends.
 *
 * osls loads variable files with `require()`; Node 24 loads the ES module entry point that way (no
 * top-level await here, which `require()` of an ES module does not allow) and strips the types of
 * this module, so `config/<stage>.yml` is validated by the same schema as everywhere else.
 * A missing or invalid file fails packaging with the loader's message, which names the field.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigFile } from '../src/config/load.ts';
import type { Config, DetectionsConfig } from '../src/config/schema.ts';
import { emailFilterPolicy } from '../src/detections/publish.ts';
import { SLACK_CONCURRENT_POSTERS } from '../src/config/quotas.ts';
import { createdIdsEnvironment, createdMirroringResources } from './mirroring-resources.ts';
import { metricAlarmIds } from './observability.ts';

export const serviceDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** What osls passes to a resolver function in a `${file(...)}` variable. */
export interface ResolverContext {
  options: Record<string, unknown>;
  resolveVariable(variable: string): Promise<unknown>;
  resolveConfigurationProperty(path: string[]): Promise<unknown>;
}

/** A CloudFormation expression or value, as written into the template. */
export type CfnValue = unknown;
export interface CfnResource {
  Type: string;
  Properties: Record<string, CfnValue>;
  DependsOn?: string | string[];
  DeletionPolicy?: 'Retain' | 'Delete';
  UpdateReplacePolicy?: 'Retain' | 'Delete';
}

/**
 * What holds records nobody may lose, kept when the stack is removed or the resource replaced: the
 * detections table and every dead-letter queue. docs/operations.md says how to delete them by hand.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html
 */
export const retained = (resource: CfnResource): CfnResource => ({
  ...resource,
  DeletionPolicy: 'Retain',
  UpdateReplacePolicy: 'Retain',
});
export type CfnResources = Record<string, CfnResource>;
/** A fragment merged into `resources:`. */
export interface CfnFragment {
  Resources: CfnResources;
  Outputs?: Record<string, { Value: CfnValue; Description?: string }>;
}

const loaded = new Map<string, { config: Config } | { failure: Error }>();

/** The stage being packaged: `--stage`, else `provider.stage` (what `${sls:stage}` yields). */
export async function stageOf({ resolveVariable }: Pick<ResolverContext, 'resolveVariable'>): Promise<string> {
  const stage = await resolveVariable('sls:stage');
  if (typeof stage !== 'string' || !/^[A-Za-z0-9-]+$/.test(stage)) {
    throw new Error(`stage: expected letters, digits and dashes, got ${JSON.stringify(stage)}`);
  }
  return stage;
}

/** Loads and validates `config/<stage>.yml` once per stage; throws an error naming the field. */
export function loadStageConfig(stage: string, dir: string = serviceDir): Config {
  const file = path.join(dir, 'config', `${stage}.yml`);
  const relative = path.relative(process.cwd(), file);
  const shown = relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
  if (!loaded.has(file)) {
    try {
      loaded.set(file, { config: loadConfigFile(shown) });
    } catch (error) {
      // Keep only the message: osls prints the whole stack of a rejected resolver.
      const failure = new Error(`${(error as Error).name ?? 'Error'}: ${(error as Error).message}`);
      failure.stack = failure.message;
      loaded.set(file, { failure });
    }
  }
  const entry = loaded.get(file)!;
  if ('failure' in entry) throw entry.failure;
  return entry.config;
}

/** The validated configuration (defaults applied). */
export async function config(context: Pick<ResolverContext, 'resolveVariable'>): Promise<Config> {
  return loadStageConfig(await stageOf(context));
}

/** The esbuild constants each function's bundle reads its part of the configuration from (src/config/environment.ts). */
export const BUNDLED_MIRRORING = '__AUTOTAP_MIRRORING_CONFIG__';
export const BUNDLED_DETECTIONS = '__AUTOTAP_DETECTIONS_CONFIG__';
export const BUNDLED_ORGANIZATION = '__AUTOTAP_ORGANIZATION_CONFIG__';

/**
 * esbuild `define` for every function: the validated `mirroring`, `detections` and `organization`
 * (null without one) sections, each as a JSON string literal. A bundle keeps only the constants its code reads, and
 * `notifications` (CloudFormation's email subscriptions) is never bundled: the configuration rides
 * in the code, whatever its size, instead of Lambda's 4 KB of environment variables.
 */
export function bundledConfigDefine({
  mirroring,
  detections,
  organization,
}: Pick<Config, 'mirroring' | 'detections'> & Partial<Pick<Config, 'organization'>>): Record<string, string> {
  return {
    [BUNDLED_MIRRORING]: JSON.stringify(JSON.stringify(mirroring)),
    [BUNDLED_DETECTIONS]: JSON.stringify(JSON.stringify(detections ?? null)),
    [BUNDLED_ORGANIZATION]: JSON.stringify(JSON.stringify(organization ?? null)),
  };
}

export async function bundledConfig(context: ResolverContext): Promise<Record<string, string>> {
  return bundledConfigDefine(await config(context));
}

/** A stable logical-id suffix for an email address: reordering a list of addresses changes nothing. */
const addressSuffix = (address: string) =>
  createHash('sha256').update(address.toLowerCase()).digest('hex').slice(0, 10);

/**
 * One email subscription to the ops topic per `notifications.opsEmails` entry. The logical id comes
 * from the address, so reordering the list changes nothing.
 */
export function emailSubscriptions({ notifications }: Pick<Config, 'notifications'>): CfnFragment {
  const Resources: CfnResources = {};
  for (const address of notifications.opsEmails) {
    Resources[`OpsEmailSubscription${addressSuffix(address)}`] = {
      Type: 'AWS::SNS::Subscription',
      Properties: { TopicArn: { Ref: 'OpsTopic' }, Protocol: 'email', Endpoint: address },
    };
  }
  return { Resources };
}

export async function opsEmailSubscriptions(context: ResolverContext): Promise<CfnFragment> {
  return emailSubscriptions(await config(context));
}

/**
 * Every function's environment (serverless.yml `provider.environment`). The stage configuration is
 * not here: it is bundled into each function's code (bundledConfig); only the ids CloudFormation
 * knows at deploy time are, the ops topic's and those of the filter and target the stack creates.
 */
export function providerEnvironmentOf(config: Pick<Config, 'mirroring'>, stage: string): Record<string, CfnValue> {
  return {
    OPS_TOPIC_ARN: ref('OpsTopic'),
    POWERTOOLS_SERVICE_NAME: 'autotap',
    // The `stage` dimension of autotap's metrics (src/lambda/metrics.ts): stacks of one account apart.
    AUTOTAP_STAGE: stage,
    LOG_LEVEL: 'INFO',
    // After throttling, adaptive retries also slow the client down instead of hammering an empty bucket.
    AWS_RETRY_MODE: 'adaptive',
    AWS_MAX_ATTEMPTS: '5',
    ...createdIdsEnvironment(config.mirroring),
  };
}

export async function providerEnvironment(context: ResolverContext): Promise<Record<string, CfnValue>> {
  return providerEnvironmentOf(await config(context), await stageOf(context));
}

/** The filter and target `mirroring.create` asks the stack for (deploy/mirroring-resources.ts). */
export async function createdMirroring(context: ResolverContext): Promise<CfnFragment> {
  const stage = await stageOf(context);
  return createdMirroringResources(loadStageConfig(stage).mirroring, stage);
}

/** The reconciler's EventBridge schedule (`mirroring.reconcileSchedule`). */
export async function reconcileSchedule(context: ResolverContext): Promise<string> {
  return (await config(context)).mirroring.reconcileSchedule;
}

/**
 * The reconciler's memory, from a measurement (`npm run bench -- --only fleet`, "Reconcile memory";
 * docs/performance.md): a dry-run round, as packaged, peaks at 291-292 MB RSS over 10,000 instances,
 * 331 MB over 20,000 and 334-343 MB over 30,000 (about 9,000 sessions each: Traffic Mirroring's
 * 10,000 per account is the ceiling), 21-26 MB and 1.5-1.9 s of CPU more per 10,000 instances, so
 * 376-394 MB and 9-10 s of CPU at 50,000. 1,024 MB keeps that under 40% of the limit, and Lambda's
 * CPU share at 1,024 MB (0.58 of a vCPU) makes it about 17 s of a 300 s round.
 */
export const RECONCILE_ROUND_MEMORY_MB = 1024;
/**
 * A slice's largest work is a detach cleanup: every managed session of the account. It peaks at
 * 216-277 MB over the same fleets (it grows with sessions and ENIs more than instances), 297-338 MB
 * projected to 50,000 instances; 512 MB keeps that within three quarters of the limit.
 */
export const RECONCILE_SLICE_MEMORY_MB = 512;

export async function reconcileRoundMemory(): Promise<number> {
  return RECONCILE_ROUND_MEMORY_MB;
}

export async function reconcileSliceMemory(): Promise<number> {
  return RECONCILE_SLICE_MEMORY_MB;
}

// ---------------------------------------------------------------------------------------------
// Detections: the table, queues, topics and functions, only when `detections` is configured and
// enabled. serverless.yml merges these blocks in (`functions:` and `resources:` lists); without a
// `detections` section they are empty and the stack is the mirroring stack alone.

/** The processor's timeout; the detections queue's visibility timeout is six times it. */
export const PROCESS_TIMEOUT_SECONDS = 60;
/**
 * The processor's memory, from a measurement: `npm run bench -- --only detections` peaks at 295 MB
 * RSS (heapUsed 115 MB) over 10,000 detections in SQS batches of 10 and of 100, over the 256 MB
 * default. 512 MB leaves about 40% headroom (and more CPU, which Lambda gives in proportion).
 */
export const PROCESS_MEMORY_MB = 512;
/**
 * The poller's memory, from the same benchmark's backlog drain: 100,000 detections after an outage,
 * polled in pages of 1,000, peak at 316 MB RSS (heapUsed 85 MB), over the 256 MB default.
 */
export const POLL_MEMORY_MB = 512;
export const SLACK_NOTIFY_TIMEOUT_SECONDS = 60;
export const SLACK_BATCHING_WINDOW_SECONDS = 20;
export const POLL_TIMEOUT_SECONDS = 60;
/**
 * A poll EventBridge could not deliver, or Lambda could not run (after its own 2 retries), is not
 * worth running later than this: the next poll reads the same window from the cursor.
 */
export const POLL_EVENT_MAX_AGE_SECONDS = 3600;
const DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600;
/** Shorter than the dead-letter queues' retention: a message keeps its first enqueue time when it moves there. */
const QUEUE_RETENTION_SECONDS = 4 * 24 * 3600;

/** The `detections` section when the stack deploys it (present and enabled), else undefined. */
export function detectionsOf(config: Config): DetectionsConfig | undefined {
  const detections = config.detections;
  return detections && detections.enabled ? detections : undefined;
}

/**
 * Which detection parts a configuration deploys. The poller needs the appliance and `poll.enabled`,
 * the webhook `webhook.enabled` (its secret is then required by the schema), the Slack notifier and
 * its queue `slack`, the Chatbot topic `slack.format: amazon-q`.
 */
/** Which detection parts a configuration deploys. */
export interface DetectionParts {
  poll: boolean;
  webhook: boolean;
  slack: boolean;
  chatbot: boolean;
}

export function detectionParts(config: Config): DetectionParts | undefined {
  const detections = detectionsOf(config);
  if (!detections) return undefined;
  return {
    poll: Boolean(detections.appliance) && detections.poll.enabled,
    webhook: detections.webhook.enabled,
    slack: Boolean(detections.slack),
    chatbot: detections.slack?.format === 'amazon-q',
  };
}

export const ref = (logicalId: string) => ({ Ref: logicalId });
export const arnOf = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });

/** The ARN of the EventBridge rule named `name`, for queue policies that must name it before it exists. */
const ruleArn = (name: string) => ({
  'Fn::Sub': `arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:rule/${name}`,
});
export const pollRuleName = (stage: string) => `autotap-${stage}-detections-poll`;

/** The four detection functions (those the configuration deploys), for the `functions:` list. */
/** A function of serverless.yml's `functions:` map, as the framework reads it. */
export type FunctionDeclaration = Record<string, unknown> & { environment?: Record<string, CfnValue> };

export function detectionFunctions(config: Config, stage: string): Record<string, FunctionDeclaration> {
  const detections = detectionsOf(config);
  const parts = detectionParts(config);
  if (!detections || !parts) return {};
  const reportBatchItemFailures = 'ReportBatchItemFailures';
  const functions: Record<string, FunctionDeclaration> = {};
  if (parts.poll) {
    functions.detectionsPoll = {
      handler: 'functions/detections-poll.handler',
      description: 'Reads the detections modified since the last poll from the appliance and queues them',
      role: 'DetectionsPollRole',
      timeout: POLL_TIMEOUT_SECONDS,
      memorySize: POLL_MEMORY_MB,
      environment: { DETECTIONS_TABLE: ref('DetectionsTable'), DETECTIONS_QUEUE_URL: ref('DetectionsQueue') },
      // An EventBridge rule (not a `schedule` event) for its dead-letter queue: a poll that cannot be
      // delivered is parked and told, not dropped after EventBridge's retries.
      events: [
        {
          eventBridge: {
            name: pollRuleName(stage),
            description: 'Poll the appliance for detections on detections.poll.schedule',
            schedule: detections.poll.schedule,
            retryPolicy: { maximumEventAge: POLL_EVENT_MAX_AGE_SECONDS, maximumRetryAttempts: 24 },
            deadLetterQueueArn: arnOf('PollDeadLetterQueue'),
          },
        },
      ],
      // Invoked asynchronously: a poll that still fails after Lambda's 2 retries (or grew too old
      // for them) is recorded in the same dead-letter queue, with its error.
      maximumRetryAttempts: 2,
      maximumEventAge: POLL_EVENT_MAX_AGE_SECONDS,
      destinations: { onFailure: { type: 'sqs', arn: arnOf('PollDeadLetterQueue') } },
    };
  }
  if (parts.webhook) {
    functions.detectionsWebhook = {
      handler: 'functions/detections-webhook.handler',
      description: 'Function URL for detections pushed by the appliance; verifies the shared secret, then queues them',
      role: 'DetectionsWebhookRole',
      // A flood of requests to the public URL is answered 429 beyond this, instead of taking the
      // account's concurrency from the mirroring functions.
      reservedConcurrency: detections.webhook.reservedConcurrency,
      // Public URL (AuthType NONE): the handler refuses every request without the shared secret
      // (bearer token or HMAC signature, compared in constant time) before it reads the body.
      url: true,
      environment: {
        DETECTIONS_TABLE: ref('DetectionsTable'),
        DETECTIONS_QUEUE_URL: ref('DetectionsQueue'),
        // The request carries the credential: never log the event.
        POWERTOOLS_LOGGER_LOG_EVENT: 'false',
      },
    };
  }
  functions.detectionsProcess = {
    handler: 'functions/detections-process.handler',
    description: 'Deduplicates detections, tracks their lifecycle and fans them out to SNS, email and Slack',
    role: 'DetectionsProcessRole',
    timeout: PROCESS_TIMEOUT_SECONDS,
    memorySize: PROCESS_MEMORY_MB,
    environment: {
      DETECTIONS_TABLE: ref('DetectionsTable'),
      DETECTIONS_TOPIC_ARN: ref('DetectionsTopic'),
      DETECTIONS_EMAIL_TOPIC_ARN: ref('DetectionsEmailTopic'),
      ...(parts.slack ? { SLACK_QUEUE_URL: ref('SlackQueue') } : {}),
    },
    events: [{ sqs: { arn: arnOf('DetectionsQueue'), batchSize: 10, functionResponseType: reportBatchItemFailures } }],
  };
  if (parts.slack) {
    functions.slackNotify = {
      handler: 'functions/slack-notify.handler',
      description: 'Posts queued detection notifications to Slack, paced to the webhook limit',
      role: 'SlackNotifyRole',
      timeout: SLACK_NOTIFY_TIMEOUT_SECONDS,
      // Event source mappings do not honour reserved concurrency: below the mapping's maximum
      // concurrency, a second batch is throttled and its receives count toward maxReceiveCount, so
      // notifications reached the dead-letter queue untried. Equal to it, nothing is throttled and
      // the two posters together (each paced to one post per SLACK_CONCURRENT_POSTERS seconds)
      // keep to Slack's one message a second.
      reservedConcurrency: SLACK_CONCURRENT_POSTERS,
      environment: parts.chatbot ? { CHATBOT_TOPIC_ARN: ref('DetectionsChatbotTopic') } : {},
      events: [
        {
          sqs: {
            arn: arnOf('SlackQueue'),
            batchSize: 100,
            maximumBatchingWindow: SLACK_BATCHING_WINDOW_SECONDS,
            functionResponseType: reportBatchItemFailures,
            // The lowest the event source allows (2), and the number of posters the pacing is divided by.
            maximumConcurrency: SLACK_CONCURRENT_POSTERS,
          },
        },
      ],
    };
  }
  return functions;
}

/** An alarm on the first message of a dead-letter queue, telling `actions` (the ops topic by default). */
export function deadLetterAlarm(
  stage: string,
  queueLogicalId: string,
  name: string,
  description: string,
  actions: CfnValue[] = [ref('OpsTopic')],
): CfnResource {
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmName: `autotap-${stage}-${name}`,
      AlarmDescription: description,
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueLogicalId, 'QueueName'] } }],
      Statistic: 'Maximum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      ...(actions.length > 0 ? { AlarmActions: actions } : {}),
    },
  };
}

/**
 * A dead-letter queue for EventBridge targets (and asynchronous invocations): EventBridge may send to
 * it for the rules of `ruleArns` only, and an alarm tells the ops topic of its first message.
 */
interface RuleDeadLetters {
  logicalId: string;
  name: string;
  sid: string;
  ruleArns: CfnValue;
  alarmDescription: string;
}

function ruleDeadLetters(
  stage: string,
  { logicalId, name, sid, ruleArns, alarmDescription }: RuleDeadLetters,
): CfnResources {
  return {
    [logicalId]: retained({
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: `autotap-${stage}-${name}`,
        MessageRetentionPeriod: DEAD_LETTER_RETENTION_SECONDS,
        SqsManagedSseEnabled: true,
      },
    }),
    [`${logicalId}Policy`]: {
      Type: 'AWS::SQS::QueuePolicy',
      Properties: {
        Queues: [ref(logicalId)],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: sid,
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: arnOf(logicalId),
              Condition: { ArnEquals: { 'aws:SourceArn': ruleArns } },
            },
          ],
        },
      },
    },
    [`${logicalId.replace(/Queue$/, '')}Alarm`]: deadLetterAlarm(
      stage,
      logicalId,
      name.replace(/-dlq$/, '-dead-letters'),
      alarmDescription,
    ),
  };
}

/** The dead-letter queue of the reconcile schedule and the failed-execution rule (serverless.yml). */
export async function ruleEventsDeadLetters(context: ResolverContext): Promise<CfnFragment> {
  const stage = await stageOf(context);
  return {
    Resources: ruleDeadLetters(stage, {
      logicalId: 'RuleEventsDeadLetterQueue',
      name: 'rule-events-dlq',
      sid: 'RuleDeadLetters',
      ruleArns: [arnOf('ReconcileScheduleRule'), arnOf('ExecutionFailedRule')],
      alarmDescription:
        'A reconcile run could not be started, or a failed-execution alert could not be published; see the rule events dead-letter queue',
    }),
  };
}

/** A queue with its dead-letter queue (which only that queue may redrive into) and an alarm on it. */
interface QueueWithDeadLetters {
  logicalId: string;
  name: string;
  visibilityTimeout: number;
  maxReceiveCount: number;
  alarmDescription: string;
}

export function queueWithDeadLetters(
  stage: string,
  { logicalId, name, visibilityTimeout, maxReceiveCount, alarmDescription }: QueueWithDeadLetters,
): CfnResources {
  const deadLetterId = `${logicalId.replace(/Queue$/, '')}DeadLetterQueue`;
  return {
    [logicalId]: {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: `autotap-${stage}-${name}`,
        VisibilityTimeout: visibilityTimeout,
        MessageRetentionPeriod: QUEUE_RETENTION_SECONDS,
        SqsManagedSseEnabled: true,
        RedrivePolicy: { deadLetterTargetArn: arnOf(deadLetterId), maxReceiveCount },
      },
    },
    [deadLetterId]: retained({
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: `autotap-${stage}-${name}-dlq`,
        MessageRetentionPeriod: DEAD_LETTER_RETENTION_SECONDS,
        SqsManagedSseEnabled: true,
        RedriveAllowPolicy: {
          redrivePermission: 'byQueue',
          sourceQueueArns: [
            { 'Fn::Sub': `arn:\${AWS::Partition}:sqs:\${AWS::Region}:\${AWS::AccountId}:autotap-${stage}-${name}` },
          ],
        },
      },
    }),
    [`${deadLetterId.replace(/Queue$/, '')}Alarm`]: deadLetterAlarm(
      stage,
      deadLetterId,
      `${name}-dead-letters`,
      alarmDescription,
    ),
  };
}

/** The detections table, queues, topics, email subscriptions and outputs (empty without detections). */
export function detectionResources(config: Config, stage: string): CfnFragment {
  const detections = detectionsOf(config);
  const parts = detectionParts(config);
  if (!detections || !parts) return { Resources: {} };
  const Resources: CfnResources = {
    // Detection records with their lifecycle, outboxes, the poll cursor and webhook replay keys.
    // Encrypted at rest with the AWS owned key (the default SSE).
    DetectionsTable: retained({
      Type: 'AWS::DynamoDB::Table',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      },
    }),
    ...queueWithDeadLetters(stage, {
      logicalId: 'DetectionsQueue',
      name: 'detections',
      // At least six times the processor's timeout, as Lambda recommends for SQS event sources.
      visibilityTimeout: 6 * PROCESS_TIMEOUT_SECONDS,
      maxReceiveCount: 5,
      alarmDescription: 'Detections could not be processed after 5 attempts; see the detections dead-letter queue',
    }),
    DetectionsTopic: {
      Type: 'AWS::SNS::Topic',
      Properties: { TopicName: `autotap-${stage}-detections`, DisplayName: `autotap ${stage} detections` },
    },
    DetectionsEmailTopic: {
      Type: 'AWS::SNS::Topic',
      Properties: { TopicName: `autotap-${stage}-detections-email`, DisplayName: `autotap ${stage} detections` },
    },
  };
  for (const recipient of detections.emails) {
    Resources[`DetectionsEmailSubscription${addressSuffix(recipient.address)}`] = {
      Type: 'AWS::SNS::Subscription',
      Properties: {
        TopicArn: ref('DetectionsEmailTopic'),
        Protocol: 'email',
        Endpoint: recipient.address,
        FilterPolicyScope: 'MessageAttributes',
        FilterPolicy: emailFilterPolicy(recipient.minRiskScore ?? detections.minRiskScore),
      },
    };
  }
  const Outputs: NonNullable<CfnFragment['Outputs']> = {
    DetectionsTableName: { Value: ref('DetectionsTable') },
    DetectionsQueueUrl: { Value: ref('DetectionsQueue') },
    DetectionsDeadLetterQueueUrl: { Value: ref('DetectionsDeadLetterQueue') },
    DetectionsTopicArn: { Value: ref('DetectionsTopic') },
    DetectionsEmailTopicArn: { Value: ref('DetectionsEmailTopic') },
  };
  if (parts.slack) {
    Object.assign(
      Resources,
      queueWithDeadLetters(stage, {
        logicalId: 'SlackQueue',
        name: 'slack',
        // Six times the notifier's timeout plus its batching window.
        visibilityTimeout: 6 * SLACK_NOTIFY_TIMEOUT_SECONDS + SLACK_BATCHING_WINDOW_SECONDS,
        maxReceiveCount: 10,
        alarmDescription:
          'Slack notifications could not be delivered after 10 attempts; see the Slack dead-letter queue',
      }),
    );
    Outputs.SlackQueueUrl = { Value: ref('SlackQueue') };
    Outputs.SlackDeadLetterQueueUrl = { Value: ref('SlackDeadLetterQueue') };
  }
  if (parts.poll) {
    // Polls EventBridge could not deliver and polls that failed after Lambda's retries.
    Object.assign(
      Resources,
      ruleDeadLetters(stage, {
        logicalId: 'PollDeadLetterQueue',
        name: 'poll-dlq',
        sid: 'PollRuleDeadLetters',
        ruleArns: ruleArn(pollRuleName(stage)),
        alarmDescription: 'Detection polls failed or could not be started; see the poll dead-letter queue',
      }),
    );
    Resources.PollErrorsAlarm = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: `autotap-${stage}-poll-errors`,
        AlarmDescription: 'The detections poller has failed for 15 minutes; polled detections are not arriving',
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: ref('DetectionsPollLambdaFunction') }],
        Statistic: 'Sum',
        Period: 300,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 3,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [ref('OpsTopic')],
      },
    };
    Outputs.PollDeadLetterQueueUrl = { Value: ref('PollDeadLetterQueue') };
  }
  if (parts.chatbot) {
    // Subscribe Amazon Q Developer in chat applications (AWS Chatbot) to this topic.
    Resources.DetectionsChatbotTopic = {
      Type: 'AWS::SNS::Topic',
      Properties: { TopicName: `autotap-${stage}-detections-chatbot`, DisplayName: `autotap ${stage} detections` },
    };
    Outputs.DetectionsChatbotTopicArn = { Value: ref('DetectionsChatbotTopic') };
  }
  return { Resources, Outputs };
}

/** The alarms that may publish to the ops topic (its topic policy's aws:SourceArn). */
export function opsAlarmArns(config: Config): CfnValue[] {
  const mirroring = [
    arnOf('LaunchEventsDeadLetterAlarm'),
    arnOf('RuleEventsDeadLetterAlarm'),
    arnOf('TagChangesDeadLetterAlarm'),
    ...metricAlarmIds(config).map(arnOf),
  ];
  const parts = detectionParts(config);
  if (!parts) return mirroring;
  return [
    ...mirroring,
    arnOf('DetectionsDeadLetterAlarm'),
    ...(parts.slack ? [arnOf('SlackDeadLetterAlarm')] : []),
    ...(parts.poll ? [arnOf('PollDeadLetterAlarm'), arnOf('PollErrorsAlarm')] : []),
  ];
}

export async function detectionsFunctions(context: ResolverContext): Promise<Record<string, FunctionDeclaration>> {
  const stage = await stageOf(context);
  return detectionFunctions(loadStageConfig(stage), stage);
}

export async function detectionsResources(context: ResolverContext): Promise<CfnFragment> {
  const stage = await stageOf(context);
  return detectionResources(loadStageConfig(stage), stage);
}

export async function opsTopicAlarmArns(context: ResolverContext): Promise<CfnValue[]> {
  return opsAlarmArns(await config(context));
}
