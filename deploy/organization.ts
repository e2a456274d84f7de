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
import { loadStageConfig, stageOf, type CfnFragment, type ResolverContext } from './stage-config.ts';

/** The event sources of the rules the members forward (aws.ec2, aws.ecs, aws.tag ...). */
export function forwardedSources(config: Config): string[] {
  const sources = packagedRules(config).flatMap((rule) => {
    const source = patternOf(rule.patternFile).source;
    return Array.isArray(source) ? source.map(String) : [];
  });
  return [...new Set(sources)].sort();
}

export function organizationResourcesOf(config: Config, stage: string): CfnFragment {
  if (!config.organization) return { Resources: {} };
  return {
    Resources: {
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
