/**
 * What the template tests share: the packaged template's types, zips, CloudFormation intrinsics as a
 * deploy to ACCOUNT / REGION would evaluate them, IAM policy documents, and loading a bundle.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const bin = path.join(root, 'node_modules', '.bin');
const localNode = path.join(root, 'node_modules', 'node', 'bin', 'node');
export const node = existsSync(localNode) ? localNode : process.execPath;
export const MAX_ZIP_BYTES = 1024 * 1024;

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';

export interface CfnResource {
  Type: string;
  Properties: Record<string, unknown>;
  DependsOn?: string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}
export interface Template {
  Resources: Record<string, CfnResource>;
}
export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
export interface PolicyDocument {
  Statement: Statement[];
}
export interface RuleTarget {
  Id: string;
  Arn: unknown;
  RoleArn?: unknown;
  DeadLetterConfig?: { Arn: unknown };
  InputTransformer?: { InputPathsMap: Record<string, string>; InputTemplate: string };
}

/** The entries of a zip file (stored or deflated, as serverless writes them). */
export function readZip(file: string): Map<string, Buffer> {
  const zip = readFileSync(file);
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== 0x06054b50) end--;
  if (end < 0) throw new Error(`${file}: not a zip file`);
  const count = zip.readUInt16LE(end + 10);
  let offset = zip.readUInt32LE(end + 16);
  const entries = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(offset) !== 0x02014b50) throw new Error(`${file}: bad central directory`);
    const method = zip.readUInt16LE(offset + 10);
    const compressedSize = zip.readUInt32LE(offset + 20);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const localHeader = zip.readUInt32LE(offset + 42);
    const name = zip.toString('utf8', offset + 46, offset + 46 + nameLength);
    const start = localHeader + 30 + zip.readUInt16LE(localHeader + 26) + zip.readUInt16LE(localHeader + 28);
    const raw = zip.subarray(start, start + compressedSize);
    if (!name.endsWith('/')) entries.set(name, method === 0 ? raw : inflateRawSync(raw));
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** A resource's name property when it is a plain string, else its logical id. */
const nameOr = (name: unknown, logicalId: string): string => (typeof name === 'string' ? name : logicalId);

export const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Evaluates the intrinsic functions the template uses, as a deploy to ACCOUNT / REGION would. */
export function evaluate(template: Template, value: unknown): unknown {
  const pseudo: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::Region': REGION,
    'AWS::AccountId': ACCOUNT,
    'AWS::URLSuffix': 'amazonaws.com',
  };
  const ref = (logicalId: string): string => {
    if (logicalId in pseudo) return pseudo[logicalId]!;
    const resource = template.Resources[logicalId];
    if (!resource) throw new Error(`Ref to a missing resource: ${logicalId}`);
    const props = resource.Properties;
    switch (resource.Type) {
      case 'AWS::Lambda::Function':
        return String(props.FunctionName);
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${REGION}:${ACCOUNT}:${String(props.TopicName)}`;
      case 'AWS::StepFunctions::StateMachine':
        return `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${String(props.StateMachineName)}`;
      default:
        return `{${logicalId}}`;
    }
  };
  const getAtt = (logicalId: string, attribute: string): string => {
    const resource = template.Resources[logicalId];
    if (!resource) throw new Error(`Fn::GetAtt of a missing resource: ${logicalId}`);
    const props = resource.Properties;
    if (attribute === 'Arn') {
      switch (resource.Type) {
        case 'AWS::Lambda::Function':
          return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${String(props.FunctionName)}`;
        case 'AWS::Logs::LogGroup':
          return `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${String(props.LogGroupName)}:*`;
        case 'AWS::Events::Rule':
          return `arn:aws:events:${REGION}:${ACCOUNT}:rule/${nameOr(props.Name, logicalId)}`;
        case 'AWS::SQS::Queue':
          return `arn:aws:sqs:${REGION}:${ACCOUNT}:${nameOr(props.QueueName, logicalId)}`;
        case 'AWS::CloudWatch::Alarm':
          return `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${nameOr(props.AlarmName, logicalId)}`;
        case 'AWS::IAM::Role':
          return `arn:aws:iam::${ACCOUNT}:role/${nameOr(props.RoleName, logicalId)}`;
        default:
      }
    }
    return `{${logicalId}.${attribute}}`;
  };
  const sub = (text: string, variables: Record<string, unknown>): string =>
    text.replace(/\$\{([^}]+)\}/g, (_match, name: string) => {
      if (name in variables) return String(evaluate(template, variables[name]));
      if (name in pseudo || name in template.Resources) return ref(name);
      const [logicalId, attribute] = name.split('.');
      if (logicalId && attribute && logicalId in template.Resources) return getAtt(logicalId, attribute);
      throw new Error(`Fn::Sub: unknown variable \${${name}}`);
    });

  if (Array.isArray(value)) return value.map((item) => evaluate(template, item));
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object);
  if (keys.length === 1) {
    const [key] = keys as [string];
    const argument = object[key];
    if (key === 'Ref') return ref(argument as string);
    if (key === 'Fn::GetAtt') {
      const [logicalId, attribute] = (typeof argument === 'string' ? argument.split('.') : argument) as [
        string,
        string,
      ];
      return getAtt(logicalId, attribute);
    }
    if (key === 'Fn::Sub') {
      return typeof argument === 'string'
        ? sub(argument, {})
        : sub((argument as [string, Record<string, unknown>])[0], (argument as [string, Record<string, unknown>])[1]);
    }
    if (key === 'Fn::Join') {
      const [separator, parts] = argument as [string, unknown[]];
      return parts.map((part) => String(evaluate(template, part))).join(separator);
    }
  }
  return Object.fromEntries(keys.map((key) => [key, evaluate(template, object[key])]));
}

/** Every policy document in the template, with where it is. */
export function policyDocuments(template: Template): { where: string; document: PolicyDocument }[] {
  const documents: { where: string; document: PolicyDocument }[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const props = resource.Properties;
    if (resource.Type === 'AWS::IAM::Role') {
      for (const policy of asArray(
        props.Policies as { PolicyName: string; PolicyDocument: PolicyDocument }[] | undefined,
      )) {
        documents.push({ where: `${logicalId}/${policy.PolicyName}`, document: policy.PolicyDocument });
      }
      if (props.ManagedPolicyArns) throw new Error(`${logicalId}: managed policies are not expected`);
    }
    if (
      [
        'AWS::IAM::Policy',
        'AWS::IAM::ManagedPolicy',
        'AWS::SNS::TopicPolicy',
        'AWS::SQS::QueuePolicy',
        'AWS::S3::BucketPolicy',
      ].includes(resource.Type)
    ) {
      documents.push({ where: logicalId, document: props.PolicyDocument as PolicyDocument });
    }
  }
  return documents;
}

/** A role's statements: its inline policies', then those of the managed policies attached to it (by their `Roles`). */
export function rolePolicyStatements(template: Template, roleLogicalId: string): Statement[] {
  const role = template.Resources[roleLogicalId];
  if (!role || role.Type !== 'AWS::IAM::Role') throw new Error(`${roleLogicalId}: no such role`);
  const managed = Object.values(template.Resources).filter(
    (r) =>
      r.Type === 'AWS::IAM::ManagedPolicy' &&
      asArray(r.Properties.Roles as unknown[]).some(
        (ref) => JSON.stringify(ref) === JSON.stringify({ Ref: roleLogicalId }),
      ),
  );
  return [
    ...asArray(role.Properties.Policies as { PolicyDocument: PolicyDocument }[]).flatMap(
      (policy) => policy.PolicyDocument.Statement,
    ),
    ...managed.flatMap((policy) => (policy.Properties.PolicyDocument as PolicyDocument).Statement),
  ];
}

export const actionsOf = (statement: Statement): string[] => asArray(statement.Action);
export const resourcesOf = (template: Template, statement: Statement): string[] =>
  asArray(statement.Resource).map((resource) => String(evaluate(template, resource)));

/** Writes a bundle to `dir` under its handler path and runs `script` on it in a fresh Node 24 process with `env`. */
function runBundle(
  bundle: Buffer,
  modulePath: string,
  dir: string,
  env: Record<string, string>,
  script: string,
  args: string[] = [],
): Promise<string> {
  const file = path.join(dir, modulePath);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, bundle);
  return new Promise<string>((resolve, reject) => {
    execFile(
      node,
      ['--input-type=module', '-e', script, file, ...args],
      { env: { PATH: process.env.PATH ?? '', AWS_REGION: REGION, ...env }, timeout: 30_000 },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${modulePath}: ${stderr || error.message}`)) : resolve(stdout.trim()),
    );
  });
}

/**
 * Imports a bundle as Lambda would: a fresh Node 24 process with the function's environment. The
 * bundle is written to `dir` under its handler path; resolves with `typeof handler`.
 */
export function loadBundle(
  bundle: Buffer,
  modulePath: string,
  dir: string,
  env: Record<string, string>,
): Promise<string> {
  return runBundle(
    bundle,
    modulePath,
    dir,
    env,
    'const m = await import(process.argv[1]); console.log(typeof m.handler);',
  );
}

/** Invokes a bundle's handler once with `event`, as Lambda would (fresh process, the given environment); resolves with its result. */
export async function invokeBundle(
  bundle: Buffer,
  modulePath: string,
  dir: string,
  env: Record<string, string>,
  event: unknown,
): Promise<unknown> {
  const script = [
    'const m = await import(process.argv[1]);',
    "const context = { functionName: 'bundle', functionVersion: '$LATEST', awsRequestId: 'local', memoryLimitInMB: '256', invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:bundle', getRemainingTimeInMillis: () => 30000 };",
    'const result = await m.handler(JSON.parse(process.argv[2]), context);',
    "process.stdout.write('\\n' + JSON.stringify(result));",
  ].join('\n');
  const output = await runBundle(bundle, modulePath, dir, env, script, [JSON.stringify(event)]);
  // Log lines come first; the result is the last line.
  return JSON.parse(output.slice(output.lastIndexOf('\n') + 1)) as unknown;
}
