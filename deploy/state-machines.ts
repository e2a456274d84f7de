/**
 * State machine definitions for serverless.yml: `${file(deploy/serverless.js):mirrorInstances}`.
 *
 * The ASL files name their Lambdas with `${<Name>FunctionArn}` placeholders (so the same file runs
 * locally with other resources). serverless-step-functions has no DefinitionSubstitutions, so each
 * placeholder is replaced here by `Fn::GetAtt` of the function's CloudFormation logical id; the
 * plugin turns those into an `Fn::Sub` of the definition and grants its role lambda:InvokeFunction.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanupSessionsEvents, mirrorInstancesEvents, reconcileEvents } from './event-rules.ts';
import { stateMachineLoggingOf, stateMachineTracingOf } from './observability.ts';
import { config, stageOf, type ResolverContext } from './stage-config.ts';

/** The ASL files, also run by the local AWS (local/stepfunctions). */
const definitions = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'statemachines');
const placeholder = /^\$\{([A-Z][A-Za-z0-9]*)FunctionArn\}$/;

/** `NormalizeInput` -> the function `normalizeInput`, logical id `NormalizeInputLambdaFunction`. */
function lambdaArn(name: string) {
  return { 'Fn::GetAtt': [`${name}LambdaFunction`, 'Arn'] };
}

/** Reads an ASL file and replaces every `${<Name>FunctionArn}`; any other `${...}` is an error. */
export function renderDefinition(file: string, functionKeys?: string[]): Record<string, unknown> {
  const definition: unknown = JSON.parse(readFileSync(path.join(definitions, file), 'utf8'));
  const visit = (value: unknown, where: string): unknown => {
    if (typeof value === 'string') {
      const match = placeholder.exec(value);
      if (match) {
        const name = match[1]!;
        const key = name.charAt(0).toLowerCase() + name.slice(1);
        if (functionKeys && !functionKeys.includes(key)) {
          throw new Error(`${file}: ${where}: ${value} names no function "${key}" in serverless.yml`);
        }
        return lambdaArn(name);
      }
      if (value.includes('${')) throw new Error(`${file}: ${where}: unknown placeholder in ${JSON.stringify(value)}`);
      return value;
    }
    if (Array.isArray(value)) return value.map((item, i) => visit(item, `${where}[${i}]`));
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, visit(v, where ? `${where}.${k}` : k)]));
    }
    return value;
  };
  return visit(definition, '') as Record<string, unknown>;
}

/** The function names of serverless.yml; `functions:` may be a list of maps that osls merges. */
async function functionKeysOf({
  resolveConfigurationProperty,
}: Pick<ResolverContext, 'resolveConfigurationProperty'>): Promise<string[] | undefined> {
  const functions = await resolveConfigurationProperty(['functions']);
  if (Array.isArray(functions))
    return functions.flatMap((part: unknown) => (part && typeof part === 'object' ? Object.keys(part) : []));
  return functions && typeof functions === 'object' ? Object.keys(functions) : undefined;
}

export async function mirrorInstances(context: ResolverContext): Promise<Record<string, unknown>> {
  return renderDefinition('mirror-instances.asl.json', await functionKeysOf(context));
}

export async function cleanupSessions(context: ResolverContext): Promise<Record<string, unknown>> {
  return renderDefinition('cleanup-sessions.asl.json', await functionKeysOf(context));
}

export async function reconcile(context: ResolverContext): Promise<Record<string, unknown>> {
  return renderDefinition('reconcile.asl.json', await functionKeysOf(context));
}

/**
 * The three workflows for serverless-step-functions (`stepFunctions.stateMachines`), with their
 * triggers and what `observability` asks of their logs and traces. Written here rather than in
 * serverless.yml so that a key the stage leaves off (logging OFF, no tracing) is absent: the plugin
 * grants log delivery and X-Ray whenever the key is there.
 */
export async function stateMachines(context: ResolverContext): Promise<Record<string, Record<string, unknown>>> {
  const [stage, stageConfig] = await Promise.all([stageOf(context), config(context)]);
  const logging = stateMachineLoggingOf(stageConfig);
  const tracing = stateMachineTracingOf(stageConfig);
  const machine = (id: string, name: string, definition: unknown, events: unknown) => ({
    id,
    name: `autotap-${stage}-${name}`,
    type: 'STANDARD',
    definition,
    events,
    ...(logging ? { loggingConfig: logging } : {}),
    ...(tracing ? { tracingConfig: tracing } : {}),
  });
  return {
    // Started by the instance running, an ENI attached (CloudTrail, best effort) and the opted-in source kinds.
    mirrorInstances: machine(
      'MirrorInstancesStateMachine',
      'mirror-instances',
      await mirrorInstances(context),
      await mirrorInstancesEvents(context),
    ),
    // Started by an instance stopped or terminated, an ENI detached (CloudTrail).
    cleanupSessions: machine(
      'CleanupSessionsStateMachine',
      'cleanup-sessions',
      await cleanupSessions(context),
      await cleanupSessionsEvents(context),
    ),
    // Started by ReconcileScheduleRule in serverless.yml (the plugin's schedule event has no dead-letter
    // queue), by coalesceTagChanges for the instances whose tags changed (deploy/tag-changes.ts), and by
    // a session someone else deleted or modified (CloudTrail).
    reconcile: machine('ReconcileStateMachine', 'reconcile', await reconcile(context), await reconcileEvents(context)),
  };
}
