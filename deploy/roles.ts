/**
 * One IAM role per function, least privilege, built from the stage configuration:
 * `${file(deploy/serverless.js):roleResources}` in serverless.yml, `role: <Name>Role` on each function.
 *
 * No wildcard actions. `Resource: '*'` only for Describe* calls, which EC2 cannot scope.
 */
import { WRITE_TRACES } from './observability.ts';
import type { Config, MirroringSection } from '../src/config/schema.ts';
import { KEY_PREFIXES } from '../src/detections/ingest/keys.ts';
import { AUTOTAP_EVENT_SOURCE } from '../src/mirroring/autotap-events.ts';
import { overrideFilterIds } from '../src/mirroring/session-choices.ts';
import { MANAGED_TAG, SESSION_TAG_KEYS } from '../src/mirroring/types.ts';
import { CREATED_FILTER, CREATED_TARGET } from './mirroring-resources.ts';
import {
  detectionParts,
  detectionsOf,
  loadStageConfig,
  stageOf,
  type CfnFragment,
  type CfnResource,
  type CfnResources,
  type CfnValue,
  type ResolverContext,
} from './stage-config.ts';

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Action: string[];
  Resource: CfnValue;
  Condition?: Record<string, Record<string, CfnValue>>;
}

const ec2Arn = (resource: string) => ({
  'Fn::Sub': `arn:\${AWS::Partition}:ec2:\${AWS::Region}:\${AWS::AccountId}:${resource}`,
});

/**
 * The ENIs a session may be created on: those of the configured VPCs and subnets when the scope
 * names them (both when it names both, as the scope does), any ENI of the account otherwise.
 * `ec2:Vpc` and `ec2:Subnet` are ARNs on the network-interface resource of CreateTrafficMirrorSession
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html).
 */
export function scopedInterfaces(scope: MirroringSection['scope']): PolicyStatement {
  const arns: Record<string, CfnValue> = {};
  if (scope.vpcIds.length > 0) arns['ec2:Vpc'] = scope.vpcIds.map((id) => ec2Arn(`vpc/${id}`));
  if (scope.subnetIds.length > 0) arns['ec2:Subnet'] = scope.subnetIds.map((id) => ec2Arn(`subnet/${id}`));
  return {
    Sid: 'MirrorNetworkInterfaces',
    Effect: 'Allow',
    Action: ['ec2:CreateTrafficMirrorSession'],
    Resource: ec2Arn('network-interface/*'),
    ...(Object.keys(arns).length > 0 ? { Condition: { ArnEquals: arns } } : {}),
  };
}

/** A new session carries autotap's tag keys and no other (src/mirroring/types.ts SESSION_TAG_KEYS). */
const ONLY_SESSION_TAG_KEYS = { 'ForAllValues:StringEquals': { 'aws:TagKeys': [...SESSION_TAG_KEYS] } };

/** Writes to the function's own log group (created by the framework as `<Name>LogGroup`). */
const logsStatement = (name: string): PolicyStatement => ({
  Sid: 'WriteOwnLogs',
  Effect: 'Allow',
  Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
  Resource: { 'Fn::GetAtt': [`${name}LogGroup`, 'Arn'] },
});

const role = (name: string, statements: PolicyStatement[]): CfnResource => ({
  Type: 'AWS::IAM::Role',
  Properties: {
    Description: `autotap ${name} function`,
    AssumeRolePolicyDocument: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    },
    Policies: [
      {
        PolicyName: name,
        PolicyDocument: { Version: '2012-10-17', Statement: [logsStatement(name), ...statements] },
      },
    ],
  },
});

/**
 * ec2:CreateTrafficMirrorSession is authorized on the filter, the target, the ENI and the new session.
 * The filter and target the stack creates (`mirroring.create`) are named by their ARN, which
 * CloudFormation fills in from the resource (`${TrafficMirrorFilter}` in Fn::Sub is its Ref, the id).
 */
export function attachSessionStatements(mirroring: MirroringSection): PolicyStatement[] {
  const statements: PolicyStatement[] = [
    mirroring.create?.filter
      ? {
          Sid: 'MirrorWithCreatedFilter',
          Effect: 'Allow',
          Action: ['ec2:CreateTrafficMirrorSession', 'ec2:ModifyTrafficMirrorSession'],
          Resource: ec2Arn(`traffic-mirror-filter/\${${CREATED_FILTER}}`),
        }
      : {
          Sid: 'MirrorWithConfiguredFilter',
          Effect: 'Allow',
          Action: ['ec2:CreateTrafficMirrorSession', 'ec2:ModifyTrafficMirrorSession'],
          Resource: ec2Arn(`traffic-mirror-filter/${mirroring.filterId}`),
        },
  ];
  const overrideFilters = overrideFilterIds(mirroring);
  if (overrideFilters.length > 0) {
    statements.push({
      Sid: 'MirrorWithOverrideFilters',
      Effect: 'Allow',
      Action: ['ec2:CreateTrafficMirrorSession', 'ec2:ModifyTrafficMirrorSession'],
      Resource: overrideFilters.map((id) => ec2Arn(`traffic-mirror-filter/${id}`)),
    });
  }
  if (mirroring.create?.target) {
    statements.push({
      Sid: 'MirrorToCreatedTarget',
      Effect: 'Allow',
      Action: ['ec2:CreateTrafficMirrorSession', 'ec2:ModifyTrafficMirrorSession'],
      Resource: ec2Arn(`traffic-mirror-target/\${${CREATED_TARGET}}`),
    });
  }
  if (mirroring.targets.length > 0) {
    statements.push({
      Sid: 'MirrorToConfiguredTargets',
      Effect: 'Allow',
      Action: ['ec2:CreateTrafficMirrorSession', 'ec2:ModifyTrafficMirrorSession'],
      Resource: mirroring.targets.map((target) => ec2Arn(`traffic-mirror-target/${target.id}`)),
    });
  }
  if (mirroring.targetTag) {
    statements.push({
      Sid: 'MirrorToTaggedTargets',
      Effect: 'Allow',
      Action: ['ec2:CreateTrafficMirrorSession', 'ec2:ModifyTrafficMirrorSession'],
      Resource: ec2Arn('traffic-mirror-target/*'),
      Condition: { StringEquals: { [`aws:ResourceTag/${mirroring.targetTag.key}`]: mirroring.targetTag.value } },
    });
  }
  statements.push(
    scopedInterfaces(mirroring.scope),
    {
      Sid: 'CreateManagedSessions',
      Effect: 'Allow',
      Action: ['ec2:CreateTrafficMirrorSession'],
      Resource: ec2Arn('traffic-mirror-session/*'),
      Condition: { StringEquals: { [`aws:RequestTag/${MANAGED_TAG}`]: 'true' }, ...ONLY_SESSION_TAG_KEYS },
    },
    {
      Sid: 'TagSessionsOnCreate',
      Effect: 'Allow',
      Action: ['ec2:CreateTags'],
      Resource: ec2Arn('traffic-mirror-session/*'),
      Condition: { StringEquals: { 'ec2:CreateAction': 'CreateTrafficMirrorSession' }, ...ONLY_SESSION_TAG_KEYS },
    },
    {
      Sid: 'ChangeManagedSessions',
      Effect: 'Allow',
      Action: ['ec2:DeleteTrafficMirrorSession', 'ec2:ModifyTrafficMirrorSession'],
      Resource: ec2Arn('traffic-mirror-session/*'),
      Condition: { StringEquals: { [`aws:ResourceTag/${MANAGED_TAG}`]: 'true' } },
    },
    {
      Sid: 'DescribeSessions',
      Effect: 'Allow',
      Action: ['ec2:DescribeTrafficMirrorSessions'],
      Resource: '*',
    },
  );
  return statements;
}

/**
 * The configured targets' grant, outside the roles' inline policies: IAM allows a role 10,240
 * characters of inline policy and a managed policy 6,144, and attaches at most 10 managed policies
 * to a role by default (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
 * A target ARN takes up to about 95 characters, so the targets go, TARGETS_PER_POLICY at a time, into
 * managed policies that the session-creating roles share; more targets than that fits is refused.
 */
export const TARGETS_PER_POLICY = 60;
export const MAX_MANAGED_POLICIES_PER_ROLE = 10;
const CONFIGURED_TARGETS_SID = 'MirrorToConfiguredTargets';
const SESSION_CREATING_ROLES = ['AttachSessionRole', 'ReconcileRoundRole', 'ReconcileSliceRole'];

export function configuredTargetPolicies(mirroring: MirroringSection): CfnResources {
  const grant = attachSessionStatements(mirroring).find((s) => s.Sid === CONFIGURED_TARGETS_SID);
  if (!grant) return {};
  const targetArns = grant.Resource as CfnValue[];
  const chunks: CfnValue[][] = [];
  for (let start = 0; start < targetArns.length; start += TARGETS_PER_POLICY)
    chunks.push(targetArns.slice(start, start + TARGETS_PER_POLICY));
  if (chunks.length > MAX_MANAGED_POLICIES_PER_ROLE) {
    throw new Error(
      `mirroring.targets: ${targetArns.length} target ids need ${chunks.length} IAM managed policies of ${TARGETS_PER_POLICY} targets, ` +
        `and IAM attaches at most ${MAX_MANAGED_POLICIES_PER_ROLE} to a role (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html); ` +
        `list at most ${TARGETS_PER_POLICY * MAX_MANAGED_POLICIES_PER_ROLE}, or tag the targets and use mirroring.targetTag`,
    );
  }
  return Object.fromEntries(
    chunks.map((resources, index) => [
      `ConfiguredTargetsPolicy${index + 1}`,
      {
        Type: 'AWS::IAM::ManagedPolicy',
        Properties: {
          Description: `autotap: create and move sessions to configured targets (${index + 1} of ${chunks.length})`,
          Roles: SESSION_CREATING_ROLES.map((id) => ({ Ref: id })),
          PolicyDocument: { Version: '2012-10-17', Statement: [{ ...grant, Resource: resources }] },
        },
      },
    ]),
  );
}

/** A session-creating role's own statements: the configured targets' grant is in configuredTargetPolicies. */
const inlineSessionStatements = (mirroring: MirroringSection) =>
  attachSessionStatements(mirroring).filter((s) => s.Sid !== CONFIGURED_TARGETS_SID);

export const DESCRIBE_FOR_PLANNING: PolicyStatement = {
  Sid: 'DescribeInstancesInterfacesSessionsTargets',
  Effect: 'Allow',
  Action: [
    'ec2:DescribeInstances',
    'ec2:DescribeNetworkInterfaces',
    'ec2:DescribeTrafficMirrorSessions',
    'ec2:DescribeTrafficMirrorTargets',
  ],
  Resource: '*',
};

const PUBLISH_TO_OPS: PolicyStatement = {
  Sid: 'PublishToOpsTopic',
  Effect: 'Allow',
  Action: ['sns:Publish'],
  Resource: { Ref: 'OpsTopic' },
};

/** The bus autotap's own events go to: EVENT_BUS_NAME of summarize, reconcileRound and reconcileSlice in serverless.yml. */
export const EVENT_BUS_NAME = 'default';

/**
 * Only events whose source is autotap's: a function cannot pass off an `aws.ec2` or another
 * application's event on the bus. `events:source` is PutEvents' condition key for each entry's Source
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-conditions.html).
 */
const PUT_AUTOTAP_EVENTS: PolicyStatement = {
  Sid: 'PutAutotapEvents',
  Effect: 'Allow',
  Action: ['events:PutEvents'],
  Resource: {
    'Fn::Sub': `arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:event-bus/${EVENT_BUS_NAME}`,
  },
  Condition: { StringEquals: { 'events:source': AUTOTAP_EVENT_SOURCE } },
};

/** The session registry (src/mirroring/registry.ts): each function only the calls it makes. */
const sessionsTable = (actions: string[]): PolicyStatement => ({
  Sid: 'SessionRegistry',
  Effect: 'Allow',
  Action: actions.map((a) => `dynamodb:${a}`),
  Resource: { 'Fn::GetAtt': ['SessionsTable', 'Arn'] },
});

/**
 * A secret by its configured ARN. IAM authorizes against the secret's complete ARN, which ends in a
 * dash and six random characters; a configured ARN without them matches through `-??????`.
 */
export const secretArns = (arn: string): [string, string] => [arn, `${arn}-??????`];

const readSecret = (sid: string, arn: string): PolicyStatement => ({
  Sid: sid,
  Effect: 'Allow',
  Action: ['secretsmanager:GetSecretValue'],
  Resource: secretArns(arn),
});
/**
 * Items of the detections table, only those whose partition key starts with one of `prefixes`
 * (src/detections/ingest/keys.ts): the poller cannot touch a detection record, the webhook only its
 * replay keys, the processor only detection records. ForAllValues holds for every key a request names.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html
 */
const table = (actions: string[], prefixes: string[]): PolicyStatement => ({
  Sid: 'DetectionsTable',
  Effect: 'Allow',
  Action: actions,
  Resource: { 'Fn::GetAtt': ['DetectionsTable', 'Arn'] },
  Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': prefixes.map((prefix) => `${prefix}*`) } },
});
const sendTo = (sid: string, queue: string): PolicyStatement => ({
  Sid: sid,
  Effect: 'Allow',
  Action: ['sqs:SendMessage'],
  Resource: { 'Fn::GetAtt': [queue, 'Arn'] },
});
/**
 * What a Lambda SQS event source needs from the function's role, as AWSLambdaSQSQueueExecutionRole
 * grants it (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html): a reported
 * failure waits out the visibility timeout, so nothing changes a message's visibility.
 */
const consume = (sid: string, queue: string): PolicyStatement => ({
  Sid: sid,
  Effect: 'Allow',
  Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
  Resource: { 'Fn::GetAtt': [queue, 'Arn'] },
});

/** The roles of the detection functions the configuration deploys (none without `detections`). */
export function detectionRoles(config: Config): CfnResources {
  const detections = detectionsOf(config);
  const parts = detectionParts(config);
  if (!detections || !parts) return {};
  const result: CfnResources = {};
  // parts.poll implies an appliance, parts.webhook a secret (the schema's refinement), parts.slack a slack section.
  if (parts.poll && detections.appliance) {
    result.DetectionsPollRole = role('DetectionsPoll', [
      readSecret('ReadApplianceSecret', detections.appliance.secretArn),
      table(['dynamodb:GetItem', 'dynamodb:PutItem'], [KEY_PREFIXES.cursor]),
      sendTo('QueueDetections', 'DetectionsQueue'),
      // The asynchronous invocation's failure destination (Lambda sends with the function's role).
      sendTo('RecordFailedPolls', 'PollDeadLetterQueue'),
      // Names the detections SQS refuses (parked) to ops.
      PUBLISH_TO_OPS,
    ]);
  }
  if (parts.webhook && detections.webhook.secretArn) {
    result.DetectionsWebhookRole = role('DetectionsWebhook', [
      readSecret('ReadWebhookSecret', detections.webhook.secretArn),
      // Whether a signature was accepted already, and recording it once its detections are queued.
      table(['dynamodb:GetItem', 'dynamodb:PutItem'], [KEY_PREFIXES.replay]),
      sendTo('QueueDetections', 'DetectionsQueue'),
    ]);
  }
  result.DetectionsProcessRole = role('DetectionsProcess', [
    consume('ConsumeDetectionsQueue', 'DetectionsQueue'),
    table(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], [KEY_PREFIXES.detection]),
    {
      Sid: 'PublishDetections',
      Effect: 'Allow',
      Action: ['sns:Publish'],
      Resource: [{ Ref: 'DetectionsTopic' }, { Ref: 'DetectionsEmailTopic' }, { Ref: 'OpsTopic' }],
    },
    ...(parts.slack ? [sendTo('QueueSlackNotifications', 'SlackQueue')] : []),
  ]);
  if (parts.slack && detections.slack) {
    result.SlackNotifyRole = role('SlackNotify', [
      consume('ConsumeSlackQueue', 'SlackQueue'),
      // Amazon Q posts what the Chatbot topic receives: no webhook to read then.
      ...(parts.chatbot ? [] : [readSecret('ReadSlackWebhookSecret', detections.slack.secretArn)]),
      {
        Sid: 'PublishToOpsTopic',
        Effect: 'Allow',
        Action: ['sns:Publish'],
        Resource: [{ Ref: 'OpsTopic' }, ...(parts.chatbot ? [{ Ref: 'DetectionsChatbotTopic' }] : [])],
      },
    ]);
  }
  return result;
}

/**
 * Starting `reconcile` only: StartExecution is authorized on the state machine
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html).
 */
const START_RECONCILE: PolicyStatement = {
  Sid: 'StartReconcile',
  Effect: 'Allow',
  Action: ['states:StartExecution'],
  Resource: { Ref: 'ReconcileStateMachine' },
};

/** What a reconcile round and a cleanup need: describe for planning, repair sessions, announce. */
function reconcileStatements(config: Config): PolicyStatement[] {
  return [
    DESCRIBE_FOR_PLANNING,
    ...inlineSessionStatements(config.mirroring).filter((s) => s.Sid !== 'DescribeSessions'),
    PUT_AUTOTAP_EVENTS,
  ];
}

/** With `observability.tracing`, every Lambda role may also write its traces. */
function withTraces(resources: CfnResources, config: Config): CfnResources {
  if (!config.observability.tracing) return resources;
  return Object.fromEntries(
    Object.entries(resources).map(([id, resource]) => {
      const policies = resource.Properties.Policies as
        { PolicyDocument: { Statement: PolicyStatement[] } }[] | undefined;
      if (resource.Type !== 'AWS::IAM::Role' || !policies?.[0]) return [id, resource];
      const [first, ...rest] = policies;
      const traced = {
        ...first,
        PolicyDocument: { ...first.PolicyDocument, Statement: [...first.PolicyDocument.Statement, WRITE_TRACES] },
      };
      return [id, { ...resource, Properties: { ...resource.Properties, Policies: [traced, ...rest] } }];
    }),
  );
}

export function roles(config: Config): CfnResources {
  return withTraces(lambdaRoles(config), config);
}

/**
 * With an organization: the member roles of every account, each Region's (deploy/member-template.ts
 * names them `<memberRoleName>-<Region>`); the member role's trust names this stack's roles in turn.
 */
const assumeMemberRoles = (config: Config): PolicyStatement[] =>
  config.organization
    ? [
        {
          Sid: 'AssumeMemberRoles',
          Effect: 'Allow',
          Action: ['sts:AssumeRole'],
          Resource: { 'Fn::Sub': `arn:\${AWS::Partition}:iam::*:role/${config.organization.memberRoleName}-*` },
        },
      ]
    : [];

/**
 * With an organization whose scope is not a list of accounts: the accounts are read from
 * Organizations, which answers its management account or a delegated administrator
 * (https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccounts.html). ListAccounts
 * takes no resource; ListParents is asked only when units are listed.
 */
const listAccounts = (config: Config): PolicyStatement[] =>
  config.organization
    ? [
        {
          Sid: 'ListOrganizationAccounts',
          Effect: 'Allow',
          Action: ['organizations:ListAccounts', 'organizations:ListParents'],
          Resource: '*',
        },
      ]
    : [];

function lambdaRoles(config: Config): CfnResources {
  return {
    NormalizeCleanupInputRole: role('NormalizeCleanupInput', []),
    // Both create, move and delete sessions like attachSession: the same tag-scoped statements.
    ReconcileRoundRole: role('ReconcileRound', [
      ...reconcileStatements(config),
      sessionsTable(['GetItem', 'Scan', 'BatchWriteItem']),
      ...assumeMemberRoles(config),
    ]),
    ReconcileSliceRole: role('ReconcileSlice', [
      ...reconcileStatements(config),
      sessionsTable(['BatchWriteItem']),
      ...assumeMemberRoles(config),
    ]),
    ListPlacesRole: role('ListPlaces', listAccounts(config)),
    SummarizeReconcileRole: role('SummarizeReconcile', [PUBLISH_TO_OPS]),
    CoalesceTagChangesRole: role('CoalesceTagChanges', [
      consume('ConsumeTagChangesQueue', 'TagChangesQueue'),
      START_RECONCILE,
    ]),
    NormalizeInputRole: role('NormalizeInput', []),
    ResolveInterfacesRole: role('ResolveInterfaces', [DESCRIBE_FOR_PLANNING, ...assumeMemberRoles(config)]),
    AttachSessionRole: role('AttachSession', [
      ...inlineSessionStatements(config.mirroring),
      ...assumeMemberRoles(config),
    ]),
    ...configuredTargetPolicies(config.mirroring),
    SummarizeRole: role('Summarize', [PUBLISH_TO_OPS, PUT_AUTOTAP_EVENTS, sessionsTable(['BatchWriteItem'])]),
    ...detectionRoles(config),
  };
}

const SESSION_CHANGES = new Set(['ec2:DeleteTrafficMirrorSession', 'ec2:ModifyTrafficMirrorSession']);

/**
 * The roles whose own policies let them delete or modify sessions: their calls are autotap's, which
 * the tamper rule leaves out (deploy/event-rules.ts). Read off the policies, so a role granted either
 * action later is left out too.
 */
export function sessionChangingRoles(config: Config): string[] {
  return Object.entries(roles(config))
    .filter(([, resource]) => resource.Type === 'AWS::IAM::Role')
    .filter(([, resource]) =>
      JSON.stringify(resource.Properties)
        .match(/"ec2:[A-Za-z]+"/g)
        ?.some((action) => SESSION_CHANGES.has(action.slice(1, -1))),
    )
    .map(([logicalId]) => logicalId)
    .sort();
}

/**
 * `dependsOn` of the session-creating functions: nothing links a function to the managed policies that
 * name its role, so without it CloudFormation may finish the function first and a launch event in that
 * window is denied on a configured target.
 */
export async function sessionPolicies(context: ResolverContext): Promise<string[]> {
  return Object.keys(configuredTargetPolicies(loadStageConfig(await stageOf(context)).mirroring));
}

export async function resources(context: ResolverContext): Promise<CfnFragment> {
  return { Resources: roles(loadStageConfig(await stageOf(context))) };
}
