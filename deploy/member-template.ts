/**
 * The member template of the organization deployment (docs/organization.md): one CloudFormation
 * template, deployed by a service-managed StackSet to every account and Region of the organizational
 * units in scope, holding only what must live in a member. `autotap member-template --stage S`
 * writes it. In each member:
 *
 * - the stage's event rules, each forwarding what it matches to the central account's default bus,
 *   where the central stack's own rules start the workflows, through a role EventBridge assumes (an
 *   organization-wide bus policy requires one:
 *   https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutPermission.html), with a
 *   dead-letter queue for what it cannot deliver;
 * - the role the central workflows assume to act there, trusting only the central stack's roles, with
 *   the central roles' least privilege: sessions created tagged autotap:managed=true, and only those
 *   modified or deleted;
 * - a traffic mirror filter: filters cannot be shared across accounts (RAM shares targets:
 *   https://docs.aws.amazon.com/vpc/latest/mirroring/cross-account-traffic-mirroring-targets.html),
 *   so every member has its own, built from `mirroring.create.filter` (all traffic when unset).
 */
import { ConfigError } from '../src/config/error.ts';
import type { Config, MirroringSection, OrganizationConfig } from '../src/config/schema.ts';
import { packagedRules, ruleName } from '../src/mirroring/event-rules.ts';
import { scopeTagKeys } from '../src/mirroring/tag-changes.ts';
import { FILTER_TAG } from '../src/mirroring/types.ts';
import { rulePattern } from './event-rules.ts';
import { CREATED_FILTER, filterResources } from './mirroring-resources.ts';
import { attachSessionStatements, DESCRIBE_FOR_PLANNING, scopedInterfaces, type PolicyStatement } from './roles.ts';
import { deadLetterAlarm, type CfnResource, type CfnResources, type CfnValue } from './stage-config.ts';

export const MEMBER_ROLE = 'MemberRole';
export const FORWARD_ROLE = 'ForwardEventsRole';
export const FORWARD_DEAD_LETTER_QUEUE = 'ForwardDeadLetterQueue';

/**
 * The central account's bus the members forward to: its default bus, where the central stack's rules
 * already are, so that a member's event starts the same rules (and `autotap uninstall`, disabling
 * them, stops the members' too). The central stack's bus policy (deploy/organization.ts) admits only
 * the organization's accounts, and only the event sources these rules forward.
 */
const sub = (text: string) => ({ 'Fn::Sub': text });
const centralBusArn = (org: OrganizationConfig) =>
  sub(`arn:\${AWS::Partition}:events:\${AWS::Region}:${org.centralAccountId}:event-bus/default`);
const memberEc2Arn = (resource: string) =>
  sub(`arn:\${AWS::Partition}:ec2:\${AWS::Region}:\${AWS::AccountId}:${resource}`);

/** `tags-changed` -> `TagsChanged`: a rule's logical id part. */
const pascal = (name: string) => name.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());

/** The organization section a member template needs; a stage without one cannot have members. */
export function organizationOf(config: Config): OrganizationConfig {
  if (!config.organization)
    throw new ConfigError(
      'organization: not configured; a member template needs the central account and the organization',
    );
  return config.organization;
}

/**
 * The scopes in force across the members: the stage's and each override's. A condition on VPCs (or
 * subnets) holds only when every scope names some; the one template serves every member, so it
 * allows the union.
 */
function memberInterfaces(mirroring: MirroringSection, org: OrganizationConfig): PolicyStatement {
  const scopes = [mirroring.scope, ...Object.values(org.members).flatMap((m) => (m.scope ? [m.scope] : []))];
  const union = (key: 'vpcIds' | 'subnetIds') =>
    scopes.every((s) => s[key].length > 0) ? [...new Set(scopes.flatMap((s) => s[key]))].sort() : [];
  return scopedInterfaces({ ...mirroring.scope, vpcIds: union('vpcIds'), subnetIds: union('subnetIds') });
}

/**
 * The member role's grants. Targets are named by id in any account: a target the central account
 * shares through RAM keeps its owner's account in its ARN, and a member's own target has the member's.
 */
export function memberStatements(config: Config): PolicyStatement[] {
  const org = organizationOf(config);
  const { mirroring } = config;
  const filters = [
    memberEc2Arn(`traffic-mirror-filter/\${${CREATED_FILTER}}`),
    ...[
      ...new Set([
        ...mirroring.overrides.flatMap((o) => (o.filterId ? [o.filterId] : [])),
        ...Object.values(org.members).flatMap((m) => (m.filterId ? [m.filterId] : [])),
      ]),
    ]
      .sort()
      .map((id) => memberEc2Arn(`traffic-mirror-filter/${id}`)),
  ];
  const targetIds = [
    ...new Set([...mirroring.targets, ...Object.values(org.members).flatMap((m) => m.targets ?? [])].map((t) => t.id)),
  ].sort();
  // The stage's statements about sessions themselves (tag-scoped create, tag, change, describe) hold as they are.
  const sessionOnly = new Set([
    'CreateManagedSessions',
    'TagSessionsOnCreate',
    'ChangeManagedSessions',
    'DescribeSessions',
  ]);
  return [
    {
      Sid: 'MirrorWithMemberFilters',
      Effect: 'Allow',
      Action: ['ec2:CreateTrafficMirrorSession', 'ec2:ModifyTrafficMirrorSession'],
      Resource: filters,
    },
    ...(targetIds.length > 0
      ? [
          {
            Sid: 'MirrorToConfiguredTargets',
            Effect: 'Allow' as const,
            Action: ['ec2:CreateTrafficMirrorSession', 'ec2:ModifyTrafficMirrorSession'],
            Resource: targetIds.map((id) =>
              sub(`arn:\${AWS::Partition}:ec2:\${AWS::Region}:*:traffic-mirror-target/${id}`),
            ),
          },
        ]
      : []),
    memberInterfaces(mirroring, org),
    ...attachSessionStatements(mirroring).filter((s) => sessionOnly.has(s.Sid)),
    DESCRIBE_FOR_PLANNING,
    // The workflows find the member's filter by its tag (DescribeTrafficMirrorFilters takes no resource).
    { Sid: 'FindMemberFilter', Effect: 'Allow', Action: ['ec2:DescribeTrafficMirrorFilters'], Resource: '*' },
  ];
}

/** The role the central workflows assume: trusted by the central stack's roles only, `autotap-<stage>-*`. */
function memberRole(config: Config, stage: string): CfnResource {
  const org = organizationOf(config);
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      // IAM names are global to an account and the StackSet deploys to each Region: one role per Region.
      RoleName: sub(`${org.memberRoleName}-\${AWS::Region}`),
      Description: `autotap ${stage}: assumed by the central account's autotap workflows`,
      MaxSessionDuration: 3600,
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: sub(`arn:\${AWS::Partition}:iam::${org.centralAccountId}:root`) },
            Action: 'sts:AssumeRole',
            // The central stack names its roles after itself (autotap-<stage>-<Function>Role-...).
            Condition: {
              ArnLike: {
                'aws:PrincipalArn': sub(`arn:\${AWS::Partition}:iam::${org.centralAccountId}:role/autotap-${stage}-*`),
              },
            },
          },
        ],
      },
      Policies: [
        {
          PolicyName: 'mirror-sessions',
          PolicyDocument: { Version: '2012-10-17', Statement: memberStatements(config) },
        },
      ],
    },
  };
}

/** EventBridge's role for the forwarding rules: PutEvents on the central bus, nothing else. */
function forwardRole(org: OrganizationConfig, stage: string): CfnResource {
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      Description: `autotap ${stage}: forwards this account's events to the central account's bus`,
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sts:AssumeRole',
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ],
      },
      Policies: [
        {
          PolicyName: 'forward-to-central-bus',
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'PutOnCentralBus',
                Effect: 'Allow',
                Action: ['events:PutEvents'],
                Resource: centralBusArn(org),
              },
            ],
          },
        },
      ],
    },
  };
}

/** The forwarding rules: the stage's rules, each to the central bus; autotap's own calls left out as in the central account. */
function forwardRules(config: Config, stage: string): CfnResources {
  const org = organizationOf(config);
  const memberRoleArn = sub(
    `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${org.memberRoleName}-\${AWS::Region}`,
  );
  const resources: CfnResources = {};
  for (const rule of packagedRules(config)) {
    resources[`Forward${pascal(rule.name)}Rule`] = {
      Type: 'AWS::Events::Rule',
      Properties: {
        Name: ruleName(stage, rule),
        Description: `Forward to the central account: ${rule.description}`.slice(0, 512),
        State: 'ENABLED',
        EventPattern: rulePattern(rule, [memberRoleArn], scopeTagKeys(config.mirroring.scope)),
        Targets: [
          {
            Id: 'central-default-bus',
            Arn: centralBusArn(org),
            RoleArn: { 'Fn::GetAtt': [FORWARD_ROLE, 'Arn'] },
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': [FORWARD_DEAD_LETTER_QUEUE, 'Arn'] } },
          },
        ],
      },
    };
  }
  return resources;
}

/** What the forwarding rules cannot deliver (the central bus gone, its policy changed): kept 14 days. */
function deadLetterQueue(stage: string): CfnResources {
  return {
    [FORWARD_DEAD_LETTER_QUEUE]: {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: `autotap-${stage}-forward-dlq`,
        MessageRetentionPeriod: 1_209_600,
        SqsManagedSseEnabled: true,
      },
    },
    ForwardDeadLetterQueuePolicy: {
      Type: 'AWS::SQS::QueuePolicy',
      Properties: {
        Queues: [{ Ref: FORWARD_DEAD_LETTER_QUEUE }],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'ForwardingRulesDeadLetters',
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: { 'Fn::GetAtt': [FORWARD_DEAD_LETTER_QUEUE, 'Arn'] },
              Condition: {
                ArnLike: {
                  'aws:SourceArn': sub(
                    `arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:rule/autotap-${stage}-*`,
                  ),
                },
              },
            },
          ],
        },
      },
    },
  };
}

/** The name of a member's dead-letter alarm; the central rule `autotap-<stage>-member-alarms` matches the prefix. */
export const memberAlarmPrefix = (stage: string) => `autotap-${stage}-member-`;

/**
 * An event the forwarding rules could not deliver waits in the dead-letter queue: the alarm goes off
 * on the first, and its state change (an EventBridge event of the member,
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html)
 * is forwarded to the central bus like the others, where a rule tells the ops topic.
 */
function forwardAlarm(org: OrganizationConfig, stage: string): CfnResources {
  return {
    // No action here: its state change is the event the central account hears (below).
    ForwardDeadLetterAlarm: deadLetterAlarm(
      stage,
      FORWARD_DEAD_LETTER_QUEUE,
      'member-forward-dlq',
      `autotap ${stage}: events this account could not forward to ${org.centralAccountId} wait in autotap-${stage}-forward-dlq`,
      [],
    ),
    ForwardDeadLetterAlarmRule: {
      Type: 'AWS::Events::Rule',
      Properties: {
        Name: `autotap-${stage}-forward-alarm`,
        Description: 'Forward to the central account: this account could not forward autotap events',
        State: 'ENABLED',
        EventPattern: {
          source: ['aws.cloudwatch'],
          'detail-type': ['CloudWatch Alarm State Change'],
          resources: [{ 'Fn::GetAtt': ['ForwardDeadLetterAlarm', 'Arn'] }],
        },
        Targets: [
          {
            Id: 'central-default-bus',
            Arn: centralBusArn(org),
            RoleArn: { 'Fn::GetAtt': [FORWARD_ROLE, 'Arn'] },
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': [FORWARD_DEAD_LETTER_QUEUE, 'Arn'] } },
          },
        ],
      },
    },
  };
}

/** The member's filter, tagged so that the central workflows find it (autotap:filter=<stage>). */
function memberFilter(config: Config, stage: string): CfnResources {
  const resources = filterResources(
    config.mirroring.create?.filter ?? { ipv6: true, amazonDns: false, exclude: [] },
    stage,
  );
  const filter = resources[CREATED_FILTER]!;
  const tags = (filter.Properties.Tags as { Key: string; Value: string }[] | undefined) ?? [];
  return {
    ...resources,
    [CREATED_FILTER]: {
      ...filter,
      Properties: { ...filter.Properties, Tags: [...tags, { Key: FILTER_TAG, Value: stage }] },
    },
  };
}

export interface MemberTemplate {
  AWSTemplateFormatVersion: '2010-09-09';
  Description: string;
  Resources: CfnResources;
  Outputs: Record<string, { Description: string; Value: CfnValue }>;
}

/** The whole member template of a stage. */
export function memberTemplate(config: Config, stage: string): MemberTemplate {
  const org = organizationOf(config);
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: `autotap ${stage} member: forwards EC2 events to ${org.centralAccountId} and lets its workflows mirror here`,
    Resources: {
      [MEMBER_ROLE]: memberRole(config, stage),
      [FORWARD_ROLE]: forwardRole(org, stage),
      ...deadLetterQueue(stage),
      ...forwardRules(config, stage),
      ...forwardAlarm(org, stage),
      ...memberFilter(config, stage),
    },
    Outputs: {
      MemberRoleArn: {
        Description: 'The role the central workflows assume',
        Value: { 'Fn::GetAtt': [MEMBER_ROLE, 'Arn'] },
      },
      FilterId: { Description: "This member's traffic mirror filter", Value: { Ref: CREATED_FILTER } },
    },
  };
}
