import { rulePattern } from '../../deploy/event-rules.ts';
import { sessionChangingRoles } from '../../deploy/roles.ts';
import type { Config } from '../../src/config/schema.ts';
import { packagedRules, ruleName, SCHEDULE_RULE, type WorkflowName } from '../../src/mirroring/event-rules.ts';
import { scopeTagKeys } from '../../src/mirroring/tag-changes.ts';
import { isObject, matchesPattern } from './pattern.ts';

/**
 * The local AWS's EventBridge for autotap's rules: the rules of the rule table the stack is packaged
 * from, as the configuration selects them (`packagedRules`: a source kind's rule only when opted into;
 * tests/template/package.slow.test.ts checks the packaged template holds exactly these), each
 * with its pattern file. An event goes to every rule it matches, as on AWS (a rule matching is
 * independent of the others: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rules.html),
 * and each such target gets the event itself as its input, since autotap's rules have no input path
 * or transformer (a tag rule's target is the tag-changes queue, the event its message body). The schedule rule has no pattern: a `Scheduled Event` stands for its tick and
 * starts `reconcile` with the rule's constant input. autotap's roles, which a rule for others' calls
 * leaves out, are `arn:aws:iam::<the event's account>:role/autotap-<stage>-<logical id>` here
 * (CloudFormation names the deployed ones itself).
 */

export interface Delivery {
  /** The rule's name as deployed: autotap-<stage>-<name>. */
  rule: string;
  stateMachine: WorkflowName;
  /** Set when the rule's target is this queue, whose consumer starts `stateMachine` (tag changes). */
  queue?: 'tag-changes';
  input: unknown;
}

interface LoadedRule {
  name: string;
  stateMachine: WorkflowName;
  queue?: 'tag-changes';
  pattern: Record<string, unknown>;
}

/** The local ARN of one of autotap's roles (its logical id in the stack). */
export const localRoleArn = (account: string, stage: string, logicalId: string) =>
  `arn:aws:iam::${account}:role/autotap-${stage}-${logicalId}`;

const rules = (account: string, stage: string, config: Config): LoadedRule[] => {
  const roleArns = sessionChangingRoles(config).map((id) => localRoleArn(account, stage, id));
  const scopeKeys = scopeTagKeys(config.mirroring.scope);
  return packagedRules(config).map((rule) => ({
    name: rule.name,
    stateMachine: rule.stateMachine,
    ...(rule.viaQueue ? { queue: rule.viaQueue } : {}),
    pattern: rulePattern(rule, roleArns, scopeKeys),
  }));
};

/** Whether a scenario entry is an event as EventBridge carries it (rather than a console input). */
export function isEventBridgeEvent(value: unknown): value is Record<string, unknown> {
  return isObject(value) && typeof value.source === 'string' && typeof value['detail-type'] === 'string';
}

/** Where EventBridge would deliver `event`: one delivery per matching rule, none when no rule matches. */
export function routeEvent(event: Record<string, unknown>, stage: string, config: Config): Delivery[] {
  if (event.source === 'aws.events' && event['detail-type'] === 'Scheduled Event')
    return [
      { rule: ruleName(stage, SCHEDULE_RULE), stateMachine: SCHEDULE_RULE.stateMachine, input: SCHEDULE_RULE.input },
    ];
  return rules(typeof event.account === 'string' ? event.account : '', stage, config)
    .filter((rule) => matchesPattern(rule.pattern, event))
    .map((rule) => ({
      rule: ruleName(stage, rule),
      stateMachine: rule.stateMachine,
      ...(rule.queue ? { queue: rule.queue } : {}),
      input: event,
    }));
}
