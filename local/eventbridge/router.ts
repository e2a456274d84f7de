import { patternOf } from '../../deploy/event-rules.ts';
import { EVENT_RULES, ruleName, SCHEDULE_RULE, type WorkflowName } from '../../src/mirroring/event-rules.ts';
import { isObject, matchesPattern } from './pattern.ts';

/**
 * The local AWS's EventBridge for autotap's rules: the rules of the rule table the stack is packaged
 * from (tests/template/package.slow.test.ts checks the packaged template holds exactly these), each
 * with its pattern file. An event goes to every rule it matches, as on AWS (a rule matching is
 * independent of the others: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rules.html),
 * and each such target gets the event itself as its input, since autotap's rules have no input path
 * or transformer. The schedule rule has no pattern: a `Scheduled Event` stands for its tick and
 * starts `reconcile` with the rule's constant input.
 */

export interface Delivery {
  /** The rule's name as deployed: autotap-<stage>-<name>. */
  rule: string;
  stateMachine: WorkflowName;
  input: unknown;
}

interface LoadedRule {
  name: string;
  stateMachine: WorkflowName;
  pattern: Record<string, unknown>;
}

let loaded: LoadedRule[] | undefined;
const rules = (): LoadedRule[] =>
  (loaded ??= EVENT_RULES.map((rule) => ({
    name: rule.name,
    stateMachine: rule.stateMachine,
    pattern: patternOf(rule.patternFile),
  })));

/** Whether a scenario entry is an event as EventBridge carries it (rather than a console input). */
export function isEventBridgeEvent(value: unknown): value is Record<string, unknown> {
  return isObject(value) && typeof value.source === 'string' && typeof value['detail-type'] === 'string';
}

/** Where EventBridge would deliver `event`: one delivery per matching rule, none when no rule matches. */
export function routeEvent(event: Record<string, unknown>, stage: string): Delivery[] {
  if (event.source === 'aws.events' && event['detail-type'] === 'Scheduled Event')
    return [
      { rule: ruleName(stage, SCHEDULE_RULE), stateMachine: SCHEDULE_RULE.stateMachine, input: SCHEDULE_RULE.input },
    ];
  return rules()
    .filter((rule) => matchesPattern(rule.pattern, event))
    .map((rule) => ({ rule: ruleName(stage, rule), stateMachine: rule.stateMachine, input: event }));
}
