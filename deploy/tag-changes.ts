/**
 * The tag-changes path of the stack: the tag rules (deploy/event-rules.ts queuedRules) send their
 * events to a queue, and coalesceTagChanges reads it in batches and starts one `reconcile` per batch
 * for the instances named (functions/coalesce-tag-changes.ts). `${file(deploy/serverless.js):tagChangesResources}`
 * and `tagChangesFunctions`.
 */
import { EVENT_RULES } from '../src/mirroring/event-rules.ts';
import { queuedRuleLogicalId, queuedRules } from './event-rules.ts';
import {
  arnOf,
  loadStageConfig,
  queueWithDeadLetters,
  ref,
  stageOf,
  type CfnFragment,
  type CfnResource,
  type ResolverContext,
} from './stage-config.ts';

/**
 * How the queue is read (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html):
 * up to 1,000 messages, the most one reconcile takes by instance id, gathered for up to 10 seconds.
 * A storm is evaluated once per instance per such batch; a quiet change waits at most the window.
 * Two pollers, the fewest a mapping allows, so that a storm makes few executions rather than many.
 */
export const TAG_CHANGES_EVENT_SOURCE = {
  batchSize: 1000,
  maximumBatchingWindowSeconds: 10,
  maximumConcurrency: 2,
} as const;
export const TAG_CHANGES_TIMEOUT_SECONDS = 30;
/** Lambda's advice: at least six times the function's timeout, plus the batching window. */
export const TAG_CHANGES_VISIBILITY_SECONDS =
  6 * TAG_CHANGES_TIMEOUT_SECONDS + TAG_CHANGES_EVENT_SOURCE.maximumBatchingWindowSeconds;
/** Deliveries before a message is parked: a tag event that is not one fails every time. */
export const TAG_CHANGES_MAX_RECEIVES = 3;

const queuedRuleIds = () => EVENT_RULES.filter((rule) => rule.viaQueue).map(queuedRuleLogicalId);

export function tagChangesResourcesOf(stage: string): CfnFragment {
  const config = loadStageConfig(stage);
  const queuePolicy: CfnResource = {
    Type: 'AWS::SQS::QueuePolicy',
    Properties: {
      Queues: [ref('TagChangesQueue')],
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'TagRules',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: arnOf('TagChangesQueue'),
            Condition: { ArnEquals: { 'aws:SourceArn': queuedRuleIds().map(arnOf) } },
          },
        ],
      },
    },
  };
  return {
    Resources: {
      ...queueWithDeadLetters(stage, {
        logicalId: 'TagChangesQueue',
        name: 'tag-changes',
        visibilityTimeout: TAG_CHANGES_VISIBILITY_SECONDS,
        maxReceiveCount: TAG_CHANGES_MAX_RECEIVES,
        alarmDescription:
          'Tag changes could not start a reconcile, or were not tag events; the instances wait for the scheduled reconcile. See the tag-changes dead-letter queue',
      }),
      TagChangesQueuePolicy: queuePolicy,
      ...queuedRules(stage, config),
    },
  };
}

export async function tagChangesResources(context: ResolverContext): Promise<CfnFragment> {
  return tagChangesResourcesOf(await stageOf(context));
}

export function tagChangesFunctionsOf(): Record<string, unknown> {
  return {
    coalesceTagChanges: {
      handler: 'functions/coalesce-tag-changes.handler',
      description: 'Reads queued tag changes in batches and starts one reconcile for the instances they name',
      role: 'CoalesceTagChangesRole',
      timeout: TAG_CHANGES_TIMEOUT_SECONDS,
      environment: { RECONCILE_STATE_MACHINE_ARN: ref('ReconcileStateMachine') },
      events: [
        {
          sqs: {
            arn: arnOf('TagChangesQueue'),
            batchSize: TAG_CHANGES_EVENT_SOURCE.batchSize,
            maximumBatchingWindow: TAG_CHANGES_EVENT_SOURCE.maximumBatchingWindowSeconds,
            maximumConcurrency: TAG_CHANGES_EVENT_SOURCE.maximumConcurrency,
            functionResponseType: 'ReportBatchItemFailures',
          },
        },
      ],
    },
  };
}

export async function tagChangesFunctions(): Promise<Record<string, unknown>> {
  return tagChangesFunctionsOf();
}
