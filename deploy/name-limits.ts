/**
 * Packaging refuses a stage whose generated names a service would refuse. Every name the stack gives
 * (functions, roles, queues, state machines, rules, topics, alarms, the stack itself) holds the stage,
 * so the longest allowed stage is the tightest of (limit - the rest of the name) over all of them; the
 * refusal names it, with the name that sets it.
 *
 * The names are read from the service osls loaded (before anything is bundled, so a long stage fails
 * in seconds) and again from the compiled template, which also holds what the plugins add.
 */

export interface NameLimit {
  /** The property of the CloudFormation resource that holds the name. */
  property: string;
  max: number;
  what: string;
  page: string;
}

/** Each named resource type's limit, as the service's API reference gives it. */
export const NAME_LIMITS: Record<string, NameLimit> = {
  'AWS::Lambda::Function': {
    property: 'FunctionName',
    max: 64,
    what: 'Lambda function name',
    page: 'https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html',
  },
  'AWS::IAM::Role': {
    property: 'RoleName',
    max: 64,
    what: 'IAM role name',
    page: 'https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html',
  },
  'AWS::IAM::ManagedPolicy': {
    property: 'ManagedPolicyName',
    max: 128,
    what: 'IAM managed policy name',
    page: 'https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicy.html',
  },
  'AWS::SQS::Queue': {
    property: 'QueueName',
    max: 80,
    what: 'SQS queue name',
    page: 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html',
  },
  'AWS::StepFunctions::StateMachine': {
    property: 'StateMachineName',
    max: 80,
    what: 'Step Functions state machine name',
    page: 'https://docs.aws.amazon.com/step-functions/latest/apireference/API_CreateStateMachine.html',
  },
  'AWS::Events::Rule': {
    property: 'Name',
    max: 64,
    what: 'EventBridge rule name',
    page: 'https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html',
  },
  'AWS::SNS::Topic': {
    property: 'TopicName',
    max: 256,
    what: 'SNS topic name',
    page: 'https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html',
  },
  'AWS::CloudWatch::Alarm': {
    property: 'AlarmName',
    max: 255,
    what: 'CloudWatch alarm name',
    page: 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html',
  },
  'AWS::DynamoDB::Table': {
    property: 'TableName',
    max: 255,
    what: 'DynamoDB table name',
    page: 'https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateTable.html',
  },
  'AWS::Logs::LogGroup': {
    property: 'LogGroupName',
    max: 512,
    what: 'CloudWatch Logs log group name',
    page: 'https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html',
  },
  'AWS::CloudFormation::Stack': {
    property: 'StackName',
    max: 128,
    what: 'CloudFormation stack name',
    page: 'https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html',
  },
};

export interface GeneratedName {
  name: string;
  type: keyof typeof NAME_LIMITS;
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** The literal names of the resources of a template (or of a `resources:` fragment). */
export function namesInResources(resources: Resources = {}): GeneratedName[] {
  return Object.values(resources).flatMap((resource) => {
    const limit = NAME_LIMITS[resource.Type];
    const name = limit && resource.Properties?.[limit.property];
    return typeof name === 'string' ? [{ name, type: resource.Type }] : [];
  });
}

/** The parts of osls's service the names are read from. */
export interface NamedService {
  service: string;
  provider: { stage: string; stackName?: string };
  resources?: { Resources?: Resources };
  stepFunctions?: { stateMachines?: Record<string, { name?: string; events?: { eventBridge?: { name?: string } }[] }> };
  getAllFunctions(): string[];
  getFunction(key: string): { name?: string; events?: { eventBridge?: { name?: string } }[] };
}

const ruleNames = (events: { eventBridge?: { name?: string } }[] = []): GeneratedName[] =>
  events.flatMap((e) =>
    typeof e.eventBridge?.name === 'string' ? [{ name: e.eventBridge.name, type: 'AWS::Events::Rule' }] : [],
  );

/** Every name the service will give, as osls resolved it (functions are named <service>-<stage>-<key>). */
export function serviceNames(service: NamedService): GeneratedName[] {
  const stage = service.provider.stage;
  const functions = service.getAllFunctions().flatMap((key): GeneratedName[] => {
    const fn = service.getFunction(key);
    return [
      { name: fn.name ?? `${service.service}-${stage}-${key}`, type: 'AWS::Lambda::Function' },
      ...ruleNames(fn.events),
    ];
  });
  const machines = Object.values(service.stepFunctions?.stateMachines ?? {}).flatMap((machine): GeneratedName[] => [
    ...(machine.name ? [{ name: machine.name, type: 'AWS::StepFunctions::StateMachine' }] : []),
    ...ruleNames(machine.events),
  ]);
  return [
    { name: service.provider.stackName ?? `${service.service}-${stage}`, type: 'AWS::CloudFormation::Stack' },
    ...functions,
    ...machines,
    ...namesInResources(service.resources?.Resources),
  ];
}

/** How long the stage may be for this name to fit its limit; Infinity when the name does not hold it. */
function stageRoom({ name, type }: GeneratedName, stage: string): number {
  const occurrences = name.split(stage).length - 1;
  if (occurrences === 0) return Infinity;
  const rest = name.length - occurrences * stage.length;
  return Math.floor((NAME_LIMITS[type]!.max - rest) / occurrences);
}

/** The refusal of a stage some generated name cannot hold, or undefined. */
export function stageNameRefusal(names: readonly GeneratedName[], stage: string): string | undefined {
  const over = names.filter(({ name, type }) => name.length > NAME_LIMITS[type]!.max);
  if (over.length === 0) return undefined;
  const tightest = names.reduce((best, n) => (stageRoom(n, stage) < stageRoom(best, stage) ? n : best), names[0]!);
  const longest = stageRoom(tightest, stage);
  const lines = over.map(({ name, type }) => {
    const limit = NAME_LIMITS[type]!;
    return `  ${name}: ${name.length} characters, and ${limit.what}s take at most ${limit.max} (${limit.page})`;
  });
  const advice = Number.isFinite(longest)
    ? `The longest stage name this stack allows is ${longest} characters (set by ${tightest.name}); "${stage}" has ${stage.length}.`
    : 'These names do not hold the stage: shorten them in serverless.yml.';
  return [`stage "${stage}" makes names that AWS would refuse at deploy time:`, ...lines, advice].join('\n');
}
