/**
 * The central stack's part of the organization deployment (docs/organization.md): the policy of its
 * default bus that lets the members' forwarding rules deliver there. Only accounts of the
 * organization (aws:PrincipalOrgID), and only events of the sources the member template forwards
 * (events:source), so that a member cannot put anything else on the central bus
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-perms.html,
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-conditions.html).
 */
import type { Config } from '../src/config/schema.ts';
import { packagedRules } from '../src/mirroring/event-rules.ts';
import { patternOf } from './event-rules.ts';
import { memberAlarmPrefix } from './member-template.ts';
import {
  loadStageConfig,
  stageOf,
  type CfnFragment,
  type CfnResource,
  type CfnValue,
  type ResolverContext,
} from './stage-config.ts';

/** The event sources of the rules the members forward (aws.ec2, aws.ecs, aws.tag ...). */
export function forwardedSources(config: Config): string[] {
  const sources = packagedRules(config).flatMap((rule) => {
    const source = patternOf(rule.patternFile).source;
    return Array.isArray(source) ? source.map(String) : [];
  });
  // And the state changes of the member's dead-letter alarm (deploy/member-template.ts).
  return [...new Set([...sources, 'aws.cloudwatch'])].sort();
}

/** The central rule that tells the ops topic of a member's alarm (its state change forwarded here). */
export const MEMBER_ALARMS_RULE = 'MemberAlarmsRule';

/** The rules whose events the ops topic takes: the failed executions', and the members' alarms'. */
export function opsRuleArnsOf(config: Config): CfnValue[] {
  return [
    { 'Fn::GetAtt': ['ExecutionFailedRule', 'Arn'] },
    ...(config.organization ? [{ 'Fn::GetAtt': [MEMBER_ALARMS_RULE, 'Arn'] }] : []),
  ];
}

export async function opsRuleArns(context: ResolverContext): Promise<CfnValue[]> {
  return opsRuleArnsOf(loadStageConfig(await stageOf(context)));
}

function memberAlarmsRule(stage: string): CfnResource {
  return {
    Type: 'AWS::Events::Rule',
    Properties: {
      Name: `autotap-${stage}-member-alarms`,
      Description: "A member account's autotap alarm went off (its state change forwarded here)",
      State: 'ENABLED',
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        detail: { alarmName: [{ prefix: memberAlarmPrefix(stage) }], state: { value: ['ALARM'] } },
      },
      Targets: [
        {
          Id: 'ops-topic',
          Arn: { Ref: 'OpsTopic' },
          // As the failed-execution rule: an alert SNS would not take is kept (and alarmed on).
          RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['RuleEventsDeadLetterQueue', 'Arn'] } },
          InputTransformer: {
            InputPathsMap: {
              account: '$.account',
              region: '$.region',
              alarm: '$.detail.alarmName',
              time: '$.time',
            },
            InputTemplate:
              '"autotap: in account <account> (<region>), alarm <alarm> went off at <time>. Events of that account wait in its autotap forward dead-letter queue: see docs/organization.md, Alarms of the members."',
          },
        },
      ],
    },
  };
}

export function organizationResourcesOf(config: Config, stage: string): CfnFragment {
  if (!config.organization) return { Resources: {} };
  return {
    Resources: {
      [MEMBER_ALARMS_RULE]: memberAlarmsRule(stage),
      OrganizationEventsPolicy: {
        Type: 'AWS::Events::EventBusPolicy',
        Properties: {
          EventBusName: 'default',
          StatementId: `autotap-${stage}-members`,
          Statement: {
            Effect: 'Allow',
            Principal: '*',
            Action: 'events:PutEvents',
            Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default' },
            Condition: {
              StringEquals: {
                'aws:PrincipalOrgID': config.organization.id,
                'events:source': forwardedSources(config),
              },
            },
          },
        },
      },
    },
  };
}

export async function organizationResources(context: ResolverContext): Promise<CfnFragment> {
  const stage = await stageOf(context);
  return organizationResourcesOf(loadStageConfig(stage), stage);
}
