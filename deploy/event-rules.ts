/**
 * serverless.yml's EventBridge triggers of the state machines, rendered from the one rule table
 * (src/mirroring/event-rules.ts): `events: ${file(deploy/serverless.js):mirrorInstancesEvents}`.
 * serverless-step-functions turns each into an AWS::Events::Rule whose target is the state machine,
 * with the whole event as its input. The rules to the tag-changes queue are resources of their own
 * (deploy/tag-changes.ts), rendered here from the same table.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { packagedRules, ruleName, type EventRule, type WorkflowName } from '../src/mirroring/event-rules.ts';
import type { Config } from '../src/config/schema.ts';
import { scopeTagKeys } from '../src/mirroring/tag-changes.ts';
import { sessionChangingRoles } from './roles.ts';
import { arnOf, loadStageConfig, stageOf, type CfnResources, type ResolverContext } from './stage-config.ts';

const EVENTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'events');

/** An event pattern file of events/, parsed. */
export function patternOf(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(EVENTS, file), 'utf8')) as Record<string, unknown>;
}

/**
 * A rule's pattern as deployed. A rule for others' calls only leaves out autotap's roles: every call
 * by an assumed role names its role in `userIdentity.sessionContext.sessionIssuer.arn`, and calls by
 * any other kind of identity (an IAM user, the root user) are never autotap's
 * (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html).
 * `$or` and `anything-but` are EventBridge's
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html); both
 * branches name fields that such a call always carries, so neither relies on how a missing field matches.
 */
export function rulePattern(
  rule: EventRule,
  autotapRoleArns: readonly unknown[],
  scopeKeys: readonly string[] = [],
): Record<string, unknown> {
  const pattern = patternOf(rule.patternFile);
  const detail = (pattern.detail ?? {}) as Record<string, unknown>;
  if (rule.scopeTagKeysOnly) return { ...pattern, detail: { ...detail, 'changed-tag-keys': [...scopeKeys] } };
  if (!rule.othersOnly) return pattern;
  return {
    ...pattern,
    detail: {
      ...detail,
      $or: [
        { userIdentity: { type: [{ 'anything-but': ['AssumedRole'] }] } },
        { userIdentity: { sessionContext: { sessionIssuer: { arn: [{ 'anything-but': [...autotapRoleArns] }] } } } },
      ],
    },
  };
}

/** The plugin's `eventBridge` events of one state machine. */
export function stateMachineEvents(
  stateMachine: WorkflowName,
  stage: string,
): { eventBridge: Record<string, unknown> }[] {
  const config = loadStageConfig(stage);
  const rules = packagedRules(config).filter((rule) => rule.stateMachine === stateMachine && !rule.viaQueue);
  const roleArns = rules.some((rule) => rule.othersOnly)
    ? sessionChangingRoles(config).map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] }))
    : [];
  return rules.map((rule) => ({
    eventBridge: {
      name: ruleName(stage, rule),
      description: rule.description,
      event: rulePattern(rule, roleArns),
      // An event EventBridge cannot deliver is parked (and alarmed on), never dropped.
      deadLetterConfig: { 'Fn::GetAtt': ['LaunchEventsDeadLetterQueue', 'Arn'] },
    },
  }));
}

export async function mirrorInstancesEvents(context: ResolverContext) {
  return stateMachineEvents('mirror-instances', await stageOf(context));
}

export async function reconcileEvents(context: ResolverContext) {
  return stateMachineEvents('reconcile', await stageOf(context));
}

export async function cleanupSessionsEvents(context: ResolverContext) {
  return stateMachineEvents('cleanup-sessions', await stageOf(context));
}

/** The logical id of a rule to a queue: `TagsChangedRule` for `tags-changed`. */
export const queuedRuleLogicalId = (rule: { name: string }) =>
  `${rule.name.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase())}Rule`;

/**
 * The rules whose target is a queue, as AWS::Events::Rule resources: the event as it is (no input
 * path or transformer) to the queue, and to the launch events' dead-letter queue when EventBridge
 * cannot deliver it (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html).
 */
export function queuedRules(stage: string, config: Config): CfnResources {
  const resources: CfnResources = {};
  for (const rule of packagedRules(config)) {
    if (!rule.viaQueue) continue;
    resources[queuedRuleLogicalId(rule)] = {
      Type: 'AWS::Events::Rule',
      Properties: {
        Name: ruleName(stage, rule),
        Description: rule.description,
        EventPattern: rulePattern(rule, [], scopeTagKeys(config.mirroring.scope)),
        State: 'ENABLED',
        Targets: [
          {
            Id: 'TagChangesQueue',
            Arn: arnOf('TagChangesQueue'),
            DeadLetterConfig: { Arn: arnOf('LaunchEventsDeadLetterQueue') },
          },
        ],
      },
    };
  }
  return resources;
}

/** The plugin's logical id of each rule: `<StateMachineKey>EventsRuleCloudWatchEvent<N>`, N from 1 per state machine. */
export function ruleLogicalIds(config: Config): string[] {
  const key = (name: WorkflowName) => name.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());
  const seen = new Map<WorkflowName, number>();
  return packagedRules(config).map((rule) => {
    if (rule.viaQueue) return queuedRuleLogicalId(rule);
    const n = (seen.get(rule.stateMachine) ?? 0) + 1;
    seen.set(rule.stateMachine, n);
    return `${key(rule.stateMachine)}EventsRuleCloudWatchEvent${n}`;
  });
}

/** The ARNs of the rules, for the dead-letter queue's policy: only they may park events there. */
export async function eventRuleArns(context: ResolverContext) {
  return ruleLogicalIds(loadStageConfig(await stageOf(context))).map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] }));
}
