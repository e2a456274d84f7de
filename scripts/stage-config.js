/**
 * Stage configuration for serverless.yml: `${file(scripts/stage-config.js):bundledConfig}` and friends.
 *
 * osls loads variable files with `require()`; Node 24 loads this ES module that way (no top-level
 * await here, which `require()` of an ES module does not allow) together with the TypeScript
 * loader it imports, so `config/<stage>.yml` is validated by the same schema as everywhere else.
 * A missing or invalid file fails packaging with the loader's message, which names the field.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigFile } from '../src/config/load.ts';
import { emailFilterPolicy } from '../src/detections/publish.ts';

export const serviceDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const loaded = new Map();

/** The stage being packaged: `--stage`, else `provider.stage`, else `dev` (what `${sls:stage}` yields). */
export async function stageOf({ resolveVariable }) {
  const stage = await resolveVariable('sls:stage');
  if (typeof stage !== 'string' || !/^[A-Za-z0-9-]+$/.test(stage)) {
    throw new Error(`stage: expected letters, digits and dashes, got ${JSON.stringify(stage)}`);
  }
  return stage;
}

/** Loads and validates `config/<stage>.yml` once per stage; throws an error naming the field. */
export function loadStageConfig(stage, dir = serviceDir) {
  const file = path.join(dir, 'config', `${stage}.yml`);
  const relative = path.relative(process.cwd(), file);
  const shown = relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
  if (!loaded.has(file)) {
    try {
      loaded.set(file, { config: loadConfigFile(shown) });
    } catch (error) {
      // Keep only the message: osls prints the whole stack of a rejected resolver.
      const failure = new Error(`${error.name ?? 'Error'}: ${error.message}`);
      failure.stack = failure.message;
      loaded.set(file, { failure });
    }
  }
  const entry = loaded.get(file);
  if (entry.failure) throw entry.failure;
  return entry.config;
}

/** The validated configuration (defaults applied). */
export async function config(context) {
  return loadStageConfig(await stageOf(context));
}

/** The esbuild constants each function's bundle reads its part of the configuration from (src/config/environment.ts). */
export const BUNDLED_MIRRORING = '__AUTOTAP_MIRRORING_CONFIG__';
export const BUNDLED_DETECTIONS = '__AUTOTAP_DETECTIONS_CONFIG__';

/**
 * esbuild `define` for every function: the validated `mirroring` and `detections` (null without one)
 * sections, each as a JSON string literal. A bundle keeps only the constants its code reads, and
 * `notifications` (CloudFormation's email subscriptions) is never bundled: the configuration rides
 * in the code, whatever its size, instead of Lambda's 4 KB of environment variables.
 */
export function bundledConfigDefine({ mirroring, detections }) {
  return {
    [BUNDLED_MIRRORING]: JSON.stringify(JSON.stringify(mirroring)),
    [BUNDLED_DETECTIONS]: JSON.stringify(JSON.stringify(detections ?? null)),
  };
}

export async function bundledConfig(context) {
  return bundledConfigDefine(await config(context));
}

/**
 * One email subscription to the ops topic per `notifications.opsEmails` entry. The logical id comes
 * from the address, so reordering the list changes nothing.
 */
export function emailSubscriptions({ notifications }) {
  const Resources = {};
  for (const address of notifications.opsEmails) {
    const suffix = createHash('sha256').update(address.toLowerCase()).digest('hex').slice(0, 10);
    Resources[`OpsEmailSubscription${suffix}`] = {
      Type: 'AWS::SNS::Subscription',
      Properties: { TopicArn: { Ref: 'OpsTopic' }, Protocol: 'email', Endpoint: address },
    };
  }
  return { Resources };
}

export async function opsEmailSubscriptions(context) {
  return emailSubscriptions(await config(context));
}

/** The reconciler's EventBridge schedule (`mirroring.reconcileSchedule`). */
export async function reconcileSchedule(context) {
  return (await config(context)).mirroring.reconcileSchedule;
}

// ---------------------------------------------------------------------------------------------
// Detections: the table, queues, topics and functions, only when `detections` is configured and
// enabled. serverless.yml merges these blocks in (`functions:` and `resources:` lists); without a
// `detections` section they are empty and the stack is the mirroring stack alone.

/** The processor's timeout; the detections queue's visibility timeout is six times it. */
export const PROCESS_TIMEOUT_SECONDS = 60;
export const SLACK_NOTIFY_TIMEOUT_SECONDS = 60;
export const SLACK_BATCHING_WINDOW_SECONDS = 20;
export const POLL_TIMEOUT_SECONDS = 60;
const DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600;
/** Shorter than the dead-letter queues' retention: a message keeps its first enqueue time when it moves there. */
const QUEUE_RETENTION_SECONDS = 4 * 24 * 3600;

/** The `detections` section when the stack deploys it (present and enabled), else undefined. */
export function detectionsOf(config) {
  const detections = config.detections;
  return detections && detections.enabled ? detections : undefined;
}

/**
 * Which detection parts a configuration deploys. The poller needs the appliance and `poll.enabled`,
 * the webhook `webhook.enabled` (its secret is then required by the schema), the Slack notifier and
 * its queue `slack`, the Chatbot topic `slack.format: amazon-q`.
 */
export function detectionParts(config) {
  const detections = detectionsOf(config);
  if (!detections) return undefined;
  return {
    poll: Boolean(detections.appliance) && detections.poll.enabled,
    webhook: detections.webhook.enabled,
    slack: Boolean(detections.slack),
    chatbot: detections.slack?.format === 'amazon-q',
  };
}

const ref = (logicalId) => ({ Ref: logicalId });
const arnOf = (logicalId) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });
const addressSuffix = (address) => createHash('sha256').update(address.toLowerCase()).digest('hex').slice(0, 10);

/** The four detection functions (those the configuration deploys), for the `functions:` list. */
export function detectionFunctions(config) {
  const detections = detectionsOf(config);
  const parts = detectionParts(config);
  if (!detections || !parts) return {};
  const reportBatchItemFailures = 'ReportBatchItemFailures';
  const functions = {};
  if (parts.poll) {
    functions.detectionsPoll = {
      handler: 'functions/detections-poll.handler',
      description: 'Reads the detections modified since the last poll from the appliance and queues them',
      role: 'DetectionsPollRole',
      timeout: POLL_TIMEOUT_SECONDS,
      environment: { DETECTIONS_TABLE: ref('DetectionsTable'), DETECTIONS_QUEUE_URL: ref('DetectionsQueue') },
      events: [{ schedule: { rate: [detections.poll.schedule], enabled: true } }],
    };
  }
  if (parts.webhook) {
    functions.detectionsWebhook = {
      handler: 'functions/detections-webhook.handler',
      description: 'Function URL for detections pushed by the appliance; verifies the shared secret, then queues them',
      role: 'DetectionsWebhookRole',
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
      // The webhook's only poster, so it can pace itself to about one message a second.
      reservedConcurrency: 1,
      environment: parts.chatbot ? { CHATBOT_TOPIC_ARN: ref('DetectionsChatbotTopic') } : {},
      events: [
        {
          sqs: {
            arn: arnOf('SlackQueue'),
            batchSize: 100,
            maximumBatchingWindow: SLACK_BATCHING_WINDOW_SECONDS,
            functionResponseType: reportBatchItemFailures,
            // The lowest the event source allows; the reserved concurrency keeps it at one poster.
            maximumConcurrency: 2,
          },
        },
      ],
    };
  }
  return functions;
}

function deadLetterAlarm(stage, queueLogicalId, name, description) {
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
      AlarmActions: [ref('OpsTopic')],
    },
  };
}

/** A queue with its dead-letter queue (which only that queue may redrive into) and an alarm on it. */
function queueWithDeadLetters(stage, { logicalId, name, visibilityTimeout, maxReceiveCount, alarmDescription }) {
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
    [deadLetterId]: {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: `autotap-${stage}-${name}-dlq`,
        MessageRetentionPeriod: DEAD_LETTER_RETENTION_SECONDS,
        SqsManagedSseEnabled: true,
        RedriveAllowPolicy: { redrivePermission: 'byQueue', sourceQueueArns: [{ 'Fn::Sub': `arn:\${AWS::Partition}:sqs:\${AWS::Region}:\${AWS::AccountId}:autotap-${stage}-${name}` }] },
      },
    },
    [`${deadLetterId.replace(/Queue$/, '')}Alarm`]: deadLetterAlarm(stage, deadLetterId, `${name}-dead-letters`, alarmDescription),
  };
}

/** The detections table, queues, topics, email subscriptions and outputs (empty without detections). */
export function detectionResources(config, stage) {
  const detections = detectionsOf(config);
  const parts = detectionParts(config);
  if (!detections || !parts) return { Resources: {} };
  const Resources = {
    // Detection records with their lifecycle, outboxes, the poll cursor and webhook replay keys.
    // Encrypted at rest with the AWS owned key (the default SSE).
    DetectionsTable: {
      Type: 'AWS::DynamoDB::Table',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      },
    },
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
  const Outputs = {
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
        alarmDescription: 'Slack notifications could not be delivered after 10 attempts; see the Slack dead-letter queue',
      }),
    );
    Outputs.SlackQueueUrl = { Value: ref('SlackQueue') };
    Outputs.SlackDeadLetterQueueUrl = { Value: ref('SlackDeadLetterQueue') };
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
export function opsAlarmArns(config) {
  const launch = arnOf('LaunchEventsDeadLetterAlarm');
  const parts = detectionParts(config);
  if (!parts) return launch;
  return [launch, arnOf('DetectionsDeadLetterAlarm'), ...(parts.slack ? [arnOf('SlackDeadLetterAlarm')] : [])];
}

export async function detectionsFunctions(context) {
  return detectionFunctions(await config(context));
}

export async function detectionsResources(context) {
  const stage = await stageOf(context);
  return detectionResources(loadStageConfig(stage), stage);
}

export async function opsTopicAlarmArns(context) {
  return opsAlarmArns(await config(context));
}
