/**
 * One IAM role per function, least privilege, built from the stage configuration:
 * `${file(iam/roles.js):resources}` in serverless.yml, `role: <Name>Role` on each function.
 *
 * No wildcard actions. `Resource: '*'` only for Describe* calls, which EC2 cannot scope.
 */
import { detectionParts, detectionsOf, loadStageConfig, stageOf } from '../scripts/stage-config.js';

const MANAGED_TAG = 'autotap:managed';

const ec2Arn = (resource) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:ec2:\${AWS::Region}:\${AWS::AccountId}:${resource}` });

/** Writes to the function's own log group (created by the framework as `<Name>LogGroup`). */
const logsStatement = (name) => ({
  Sid: 'WriteOwnLogs',
  Effect: 'Allow',
  Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
  Resource: { 'Fn::GetAtt': [`${name}LogGroup`, 'Arn'] },
});

const role = (name, statements) => ({
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

/** ec2:CreateTrafficMirrorSession is authorized on the filter, the target, the ENI and the new session. */
export function attachSessionStatements(mirroring) {
  const statements = [
    {
      Sid: 'MirrorWithConfiguredFilter',
      Effect: 'Allow',
      Action: ['ec2:CreateTrafficMirrorSession', 'ec2:ModifyTrafficMirrorSession'],
      Resource: ec2Arn(`traffic-mirror-filter/${mirroring.filterId}`),
    },
  ];
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
    {
      Sid: 'MirrorNetworkInterfaces',
      Effect: 'Allow',
      Action: ['ec2:CreateTrafficMirrorSession'],
      Resource: ec2Arn('network-interface/*'),
    },
    {
      Sid: 'CreateManagedSessions',
      Effect: 'Allow',
      Action: ['ec2:CreateTrafficMirrorSession'],
      Resource: ec2Arn('traffic-mirror-session/*'),
      Condition: { StringEquals: { [`aws:RequestTag/${MANAGED_TAG}`]: 'true' } },
    },
    {
      Sid: 'TagSessionsOnCreate',
      Effect: 'Allow',
      Action: ['ec2:CreateTags'],
      Resource: ec2Arn('traffic-mirror-session/*'),
      Condition: { StringEquals: { 'ec2:CreateAction': 'CreateTrafficMirrorSession' } },
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

const DESCRIBE_FOR_PLANNING = {
  Sid: 'DescribeInstancesInterfacesSessionsTargets',
  Effect: 'Allow',
  Action: ['ec2:DescribeInstances', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeTrafficMirrorSessions', 'ec2:DescribeTrafficMirrorTargets'],
  Resource: '*',
};

const PUBLISH_TO_OPS = { Sid: 'PublishToOpsTopic', Effect: 'Allow', Action: ['sns:Publish'], Resource: { Ref: 'OpsTopic' } };

/** The bus autotap's own events go to: EVENT_BUS_NAME of summarize, reconcileRound and reconcileSlice in serverless.yml. */
export const EVENT_BUS_NAME = 'default';

const PUT_AUTOTAP_EVENTS = {
  Sid: 'PutAutotapEvents',
  Effect: 'Allow',
  Action: ['events:PutEvents'],
  Resource: { 'Fn::Sub': `arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:event-bus/${EVENT_BUS_NAME}` },
};

/**
 * A secret by its configured ARN. IAM authorizes against the secret's complete ARN, which ends in a
 * dash and six random characters; a configured ARN without them matches through `-??????`.
 */
export const secretArns = (arn) => [arn, `${arn}-??????`];

const readSecret = (sid, arn) => ({ Sid: sid, Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: secretArns(arn) });
const table = (actions) => ({ Sid: 'DetectionsTable', Effect: 'Allow', Action: actions, Resource: { 'Fn::GetAtt': ['DetectionsTable', 'Arn'] } });
const sendTo = (sid, queue) => ({ Sid: sid, Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: { 'Fn::GetAtt': [queue, 'Arn'] } });
/** What a Lambda SQS event source needs from the function's role. */
const consume = (sid, queue) => ({
  Sid: sid,
  Effect: 'Allow',
  Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'],
  Resource: { 'Fn::GetAtt': [queue, 'Arn'] },
});

/** The roles of the detection functions the configuration deploys (none without `detections`). */
export function detectionRoles(config) {
  const detections = detectionsOf(config);
  const parts = detectionParts(config);
  if (!detections || !parts) return {};
  const result = {};
  if (parts.poll) {
    result.DetectionsPollRole = role('DetectionsPoll', [
      readSecret('ReadApplianceSecret', detections.appliance.secretArn),
      table(['dynamodb:GetItem', 'dynamodb:PutItem']),
      sendTo('QueueDetections', 'DetectionsQueue'),
    ]);
  }
  if (parts.webhook) {
    result.DetectionsWebhookRole = role('DetectionsWebhook', [
      readSecret('ReadWebhookSecret', detections.webhook.secretArn),
      table(['dynamodb:PutItem', 'dynamodb:DeleteItem']),
      sendTo('QueueDetections', 'DetectionsQueue'),
    ]);
  }
  result.DetectionsProcessRole = role('DetectionsProcess', [
    consume('ConsumeDetectionsQueue', 'DetectionsQueue'),
    table(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']),
    {
      Sid: 'PublishDetections',
      Effect: 'Allow',
      Action: ['sns:Publish'],
      Resource: [{ Ref: 'DetectionsTopic' }, { Ref: 'DetectionsEmailTopic' }, { Ref: 'OpsTopic' }],
    },
    ...(parts.slack ? [sendTo('QueueSlackNotifications', 'SlackQueue')] : []),
  ]);
  if (parts.slack) {
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

/** What a reconcile round and a cleanup need: describe for planning, repair sessions, announce. */
function reconcileStatements(config) {
  return [DESCRIBE_FOR_PLANNING, ...attachSessionStatements(config.mirroring).filter((s) => s.Sid !== 'DescribeSessions'), PUT_AUTOTAP_EVENTS];
}

export function roles(config) {
  return {
    NormalizeCleanupInputRole: role('NormalizeCleanupInput', []),
    // Both create, move and delete sessions like attachSession: the same tag-scoped statements.
    ReconcileRoundRole: role('ReconcileRound', reconcileStatements(config)),
    ReconcileSliceRole: role('ReconcileSlice', reconcileStatements(config)),
    SummarizeReconcileRole: role('SummarizeReconcile', [PUBLISH_TO_OPS]),
    NormalizeInputRole: role('NormalizeInput', []),
    ResolveInterfacesRole: role('ResolveInterfaces', [
      {
        Sid: 'DescribeInstancesInterfacesSessionsTargets',
        Effect: 'Allow',
        Action: [
          'ec2:DescribeInstances',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeTrafficMirrorSessions',
          'ec2:DescribeTrafficMirrorTargets',
        ],
        Resource: '*',
      },
    ]),
    AttachSessionRole: role('AttachSession', attachSessionStatements(config.mirroring)),
    SummarizeRole: role('Summarize', [PUBLISH_TO_OPS, PUT_AUTOTAP_EVENTS]),
    ...detectionRoles(config),
  };
}

export async function resources(context) {
  return { Resources: roles(loadStageConfig(await stageOf(context))) };
}
