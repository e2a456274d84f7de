/**
 * Packaging refuses what a deploy would fail on for a size limit: a function whose environment
 * variables Lambda refuses, and a stack over CloudFormation's resource count or template size.
 *
 * Lambda environment:
 * Lambda allows "4 KB, for all environment variables associated with the function, in aggregate"
 * (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html; the Lambda documentation
 * uses binary units, so 4,096 bytes). What it measures is the variables as one JSON object: its
 * refusal quotes the "String measured: {"NAME":"value",...}". So names, values, quotes, colons and
 * commas all count, in UTF-8 bytes, and so does this check.
 *
 * Values that are CloudFormation intrinsics are sized as the deploy resolves them: the ARN, URL or
 * name of the resource they point at, with a 12-digit account. One whose result this check cannot
 * tell counts as MAX_UNKNOWN_VALUE_BYTES, so it errs towards refusing, never towards a failed deploy.
 *
 * CloudFormation allows 500 resources in a stack and a template body of 1 MB from S3, where the
 * framework uploads it (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html).
 * Each email address of the configuration is one subscription resource.
 *
 * Loaded as a local osls plugin (serverless.yml `plugins`, through deploy/package-limits-plugin.js):
 * the environment check runs before anything is bundled, the stack check on the complete template
 * before it is written.
 */

import { namesInResources, stageNameRefusal } from './name-limits.ts';

/** The stack's resources as the checks read them. */
type TemplateResources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

export const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4 * 1024;
export const LAMBDA_LIMITS_PAGE = 'https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html';
/** The longest ARN IAM accepts (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html). */
export const MAX_UNKNOWN_VALUE_BYTES = 2048;
/** The longest DynamoDB table name (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html), for a name CloudFormation generates. */
const MAX_TABLE_NAME = 255;
/** The longest S3 bucket name (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html), for a name CloudFormation generates. */
const MAX_BUCKET_NAME = 63;
const ACCOUNT = '000000000000';

function partitionOf(region: string) {
  if (region.startsWith('cn-')) return { partition: 'aws-cn', suffix: 'amazonaws.com.cn' };
  if (region.startsWith('us-gov-')) return { partition: 'aws-us-gov', suffix: 'amazonaws.com' };
  return { partition: 'aws', suffix: 'amazonaws.com' };
}

/** What a `Ref` to one of the stack's resources resolves to, or a string as long as the longest it could be. */
function refValue(resource: TemplateResources[string] | undefined, logicalId: string, region: string): string {
  const { partition, suffix } = partitionOf(region);
  const props = resource?.Properties ?? {};
  const arn = (service: string, rest: string) => `arn:${partition}:${service}:${region}:${ACCOUNT}:${rest}`;
  switch (resource?.Type) {
    case 'AWS::SNS::Topic':
      if (typeof props.TopicName === 'string') return arn('sns', props.TopicName);
      break;
    case 'AWS::SQS::Queue':
      if (typeof props.QueueName === 'string') return `https://sqs.${region}.${suffix}/${ACCOUNT}/${props.QueueName}`;
      break;
    case 'AWS::StepFunctions::StateMachine':
      if (typeof props.StateMachineName === 'string') return arn('states', `stateMachine:${props.StateMachineName}`);
      break;
    case 'AWS::DynamoDB::Table':
      return typeof props.TableName === 'string' ? props.TableName : 'x'.repeat(MAX_TABLE_NAME);
    // EC2 ids: a prefix and up to 17 hexadecimal digits.
    case 'AWS::EC2::TrafficMirrorFilter':
      return `tmf-${'0'.repeat(17)}`;
    case 'AWS::EC2::TrafficMirrorTarget':
      return `tmt-${'0'.repeat(17)}`;
    case 'AWS::S3::Bucket':
      return typeof props.BucketName === 'string' ? props.BucketName : 'x'.repeat(MAX_BUCKET_NAME);
    default:
  }
  // Pseudo parameters: the longest is AWS::StackName (128 characters).
  if (logicalId.startsWith('AWS::')) return 'x'.repeat(128);
  return 'x'.repeat(MAX_UNKNOWN_VALUE_BYTES);
}

/** A variable's value as the deployed function would see it (or as long as it could be). */
export function resolvedValue(value: unknown, resources: TemplateResources, region: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (
    value &&
    typeof value === 'object' &&
    Object.keys(value).length === 1 &&
    typeof (value as { Ref?: unknown }).Ref === 'string'
  ) {
    const { Ref } = value as { Ref: string };
    return refValue(resources[Ref], Ref, region);
  }
  return 'x'.repeat(MAX_UNKNOWN_VALUE_BYTES);
}

/** Bytes Lambda counts for these variables: the UTF-8 JSON object of names and values. */
export function environmentBytes(variables: Record<string, string>): number {
  return Buffer.byteLength(JSON.stringify(variables), 'utf8');
}

/**
 * Each function's measured environment, largest first: `{ name, bytes, variables: [[name, bytes]] }`.
 * `functions` maps a function name to its own `environment`; the provider's applies to all of them
 * (the function's wins on a clash, as osls merges them).
 */
export interface MeasuredEnvironment {
  name: string;
  /** Bytes Lambda counts: the variables as one UTF-8 JSON object. */
  bytes: number;
  /** Each variable's share (`"NAME":"value"`), largest first. */
  variables: [string, number][];
}

export interface EnvironmentsToMeasure {
  providerEnvironment?: Record<string, unknown>;
  functions: Record<string, Record<string, unknown>>;
  resources?: TemplateResources;
  region: string;
}

export function measureEnvironments({
  providerEnvironment = {},
  functions,
  resources = {},
  region,
}: EnvironmentsToMeasure): MeasuredEnvironment[] {
  return Object.entries(functions)
    .map(([name, own]) => {
      const merged = { ...providerEnvironment, ...own };
      const resolved = Object.fromEntries(
        Object.entries(merged).map(([key, value]) => [key, resolvedValue(value, resources, region)]),
      );
      const variables = Object.entries(resolved)
        .map(([key, value]): [string, number] => [key, environmentBytes({ [key]: value }) - 2])
        .sort((a, b) => b[1] - a[1]);
      return { name, bytes: environmentBytes(resolved), variables };
    })
    .sort((a, b) => b.bytes - a.bytes);
}

/** The refusal for every function over the limit, or undefined when all fit. */
export function oversizedEnvironments(
  measured: MeasuredEnvironment[],
  limit: number = LAMBDA_ENVIRONMENT_LIMIT_BYTES,
): string | undefined {
  const over = measured.filter((fn) => fn.bytes > limit);
  if (over.length === 0) return undefined;
  const lines = over.map(
    (fn) =>
      `  ${fn.name}: ${fn.bytes} bytes (largest: ${fn.variables
        .slice(0, 3)
        .map(([key, bytes]) => `${key} ${bytes} bytes`)
        .join(', ')})`,
  );
  return [
    `Lambda limits a function's environment variables to 4 KB (${limit} bytes, names and values as one JSON object) ` +
      `and would refuse ${over.length === 1 ? 'this function' : 'these functions'} at deploy time (${LAMBDA_LIMITS_PAGE}):`,
    ...lines,
  ].join('\n');
}

export const CLOUDFORMATION_MAX_RESOURCES = 500;
export const CLOUDFORMATION_MAX_TEMPLATE_BYTES = 1_000_000;
export const CLOUDFORMATION_LIMITS_PAGE =
  'https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html';

/** The refusal for a template CloudFormation would not take, or undefined. */
export function oversizedStack(template: { Resources?: Record<string, { Type: string }> }): string | undefined {
  const resources = Object.values(template.Resources ?? {});
  const problems = [];
  if (resources.length > CLOUDFORMATION_MAX_RESOURCES) {
    const subscriptions = resources.filter((r) => r.Type === 'AWS::SNS::Subscription').length;
    problems.push(
      `CloudFormation allows ${CLOUDFORMATION_MAX_RESOURCES} resources in a stack and this one has ${resources.length}, ` +
        `${subscriptions} of them email subscriptions (one per address of notifications.opsEmails and detections.emails) (${CLOUDFORMATION_LIMITS_PAGE})`,
    );
  }
  const bytes = Buffer.byteLength(JSON.stringify(template), 'utf8');
  if (bytes > CLOUDFORMATION_MAX_TEMPLATE_BYTES) {
    problems.push(
      `CloudFormation allows a template of ${CLOUDFORMATION_MAX_TEMPLATE_BYTES} bytes and this one has ${bytes} (${CLOUDFORMATION_LIMITS_PAGE})`,
    );
  }
  return problems.length ? problems.join('\n') : undefined;
}

/** The parts of osls's `serverless` object the checks read. */
export interface PackagingServerless {
  service: {
    provider: {
      compiledCloudFormationTemplate: { Resources?: TemplateResources };
      environment?: Record<string, unknown>;
      region: string;
      stage: string;
    };
    resources?: { Resources?: TemplateResources };
    getAllFunctions(): string[];
    getFunction(name: string): { environment?: Record<string, unknown> };
  };
  classes: { Error: new (message: string) => Error };
}

export default class PackageLimits {
  readonly serverless: PackagingServerless;
  readonly hooks: Record<string, () => void>;

  constructor(serverless: PackagingServerless) {
    this.serverless = serverless;
    this.hooks = {
      'before:package:createDeploymentArtifacts': () => this.checkEnvironments(),
      'before:aws:package:finalize:saveServiceState': () => this.checkStack(),
    };
  }

  checkStack(): void {
    const template = this.serverless.service.provider.compiledCloudFormationTemplate;
    const refusal =
      oversizedStack(template) ??
      stageNameRefusal(namesInResources(template.Resources), this.serverless.service.provider.stage);
    if (refusal) throw new this.serverless.classes.Error(refusal);
  }

  checkEnvironments(): void {
    const service = this.serverless.service;
    const functions = Object.fromEntries(
      service.getAllFunctions().map((name) => [name, service.getFunction(name).environment ?? {}]),
    );
    const measured = measureEnvironments({
      providerEnvironment: service.provider.environment ?? {},
      functions,
      resources: service.resources?.Resources ?? {},
      region: service.provider.region,
    });
    const refusal = oversizedEnvironments(measured);
    if (refusal) throw new this.serverless.classes.Error(refusal);
  }
}
