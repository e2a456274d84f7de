/**
 * The EventBridge rules that start autotap's workflows: one table that packaging renders into the
 * stack (deploy/event-rules.ts), that the local AWS routes scenario events with (local/eventbridge),
 * and that `uninstall` names the session-creating rules from. Each rule sends the matched event, as
 * EventBridge delivers it, to its state machine: no input path or transformer, so the execution's
 * input is the event and a re-run from the console repeats it exactly.
 */

import type { Config } from '../config/schema.ts';

export type WorkflowName = 'mirror-instances' | 'cleanup-sessions' | 'reconcile';

export interface EventRule {
  /** The rule's name after `autotap-<stage>-`. */
  name: string;
  description: string;
  /** The event pattern's file under events/ (its sample event is the same name without `.pattern`). */
  patternFile: string;
  stateMachine: WorkflowName;
  /** Whether the workflow it starts may create sessions (uninstall disables these first). */
  createsSessions: boolean;
  /** Whether its events come from CloudTrail, which needs a trail of management events. */
  cloudTrail: boolean;
  /**
   * Whether the rule leaves out calls made by autotap's own roles (their ARNs join the pattern when
   * it is rendered, deploy/event-rules.ts), so that autotap's own changes never look like tampering.
   */
  othersOnly?: boolean;
  /** Set when the rule's target is the tag-changes queue, which starts `stateMachine` once per batch. */
  viaQueue?: 'tag-changes';
  /**
   * Whether the pattern only matches changes of the tag keys that decide scope (`changed-tag-keys`,
   * a list of strings, matches when any item does; deploy/event-rules.ts adds the keys).
   */
  scopeTagKeysOnly?: boolean;
  /** Set for a rule of a source kind one opts into: packaged only when `mirroring.sources.<kind>` is true. */
  sourceKind?: keyof Config['mirroring']['sources'];
}

export const EVENT_RULES: readonly EventRule[] = [
  {
    name: 'tags-changed',
    description: 'Queue instances whose scope tags changed (Tag Change on Resource) for one reconcile per batch',
    patternFile: 'tag-change-on-instance.pattern.json',
    stateMachine: 'reconcile',
    createsSessions: true,
    cloudTrail: false,
    viaQueue: 'tag-changes',
    scopeTagKeysOnly: true,
  },
  {
    name: 'tag-calls',
    description: 'Queue instances tagged or untagged (CloudTrail CreateTags/DeleteTags) for one reconcile per batch',
    patternFile: 'cloudtrail-tags-changed.pattern.json',
    stateMachine: 'reconcile',
    createsSessions: true,
    cloudTrail: true,
    viaQueue: 'tag-changes',
  },
  {
    name: 'session-tampered',
    description:
      'Restore or report an autotap session someone else deleted or modified (CloudTrail Delete/ModifyTrafficMirrorSession)',
    patternFile: 'cloudtrail-traffic-mirror-session-changed.pattern.json',
    stateMachine: 'reconcile',
    createsSessions: true,
    cloudTrail: true,
    othersOnly: true,
  },
  {
    name: 'instance-running',
    description: 'Mirror the ENIs of every EC2 instance that enters the running state',
    patternFile: 'ec2-instance-running.pattern.json',
    stateMachine: 'mirror-instances',
    createsSessions: true,
    cloudTrail: false,
  },
  {
    name: 'interface-attached',
    description: 'Mirror ENIs attached to running instances (CloudTrail AttachNetworkInterface)',
    patternFile: 'cloudtrail-attach-network-interface.pattern.json',
    stateMachine: 'mirror-instances',
    createsSessions: true,
    cloudTrail: true,
  },
  {
    // Source kinds' rules come after mirror-instances' others, which keep their logical ids with or without them.
    name: 'ecs-task-running',
    description: 'Mirror the ENI of every ECS task in awsvpc mode that starts running on an EC2 host',
    patternFile: 'ecs-task-running.pattern.json',
    stateMachine: 'mirror-instances',
    createsSessions: true,
    cloudTrail: false,
    sourceKind: 'ecsTasks',
  },
  {
    name: 'load-balancer-interface-created',
    description: 'Mirror each ENI an Application or Classic Load Balancer creates (CloudTrail CreateNetworkInterface)',
    patternFile: 'cloudtrail-create-load-balancer-interface.pattern.json',
    stateMachine: 'mirror-instances',
    createsSessions: true,
    cloudTrail: true,
    sourceKind: 'loadBalancers',
  },
  {
    name: 'instance-stopped',
    description: "Delete autotap's sessions that would linger on stopped or terminated instances",
    patternFile: 'ec2-instance-stopped-or-terminated.pattern.json',
    stateMachine: 'cleanup-sessions',
    createsSessions: false,
    cloudTrail: false,
  },
  {
    name: 'interface-detached',
    description: "Delete autotap's sessions on detached ENIs (CloudTrail DetachNetworkInterface)",
    patternFile: 'cloudtrail-detach-network-interface.pattern.json',
    stateMachine: 'cleanup-sessions',
    createsSessions: false,
    cloudTrail: true,
  },
];

/** The rules a stack of this configuration has: every rule but those of source kinds left off. */
export function packagedRules(config: Config): EventRule[] {
  return EVENT_RULES.filter((rule) => !rule.sourceKind || sourceKindOn(config.mirroring, rule.sourceKind));
}

/** Whether the configuration opts into a kind of source. */
export function sourceKindOn(
  mirroring: Pick<Config['mirroring'], 'sources'>,
  kind: keyof Config['mirroring']['sources'],
): boolean {
  const source = mirroring.sources[kind];
  return typeof source === 'boolean' ? source : source.enabled;
}

/** The scheduled rule: no pattern, it starts `reconcile` with this constant input. */
export const SCHEDULE_RULE = { name: 'reconcile-schedule', stateMachine: 'reconcile' as const, input: {} };

export const ruleName = (stage: string, rule: { name: string }) => `autotap-${stage}-${rule.name}`;
