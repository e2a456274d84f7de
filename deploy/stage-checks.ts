/**
 * Checks of the stage being packaged, beyond the schema: which stage (there is no default one), whether
 * the names it makes fit AWS's limits (deploy/name-limits.ts), the documentation's placeholder ids, and
 * whether anybody hears about failures.
 *
 * `stage` is serverless.yml's `provider.stage`; StageChecks is a local osls plugin
 * (deploy/stage-checks-plugin.js).
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { exampleValues } from '../src/config/examples.ts';
import type { Config } from '../src/config/schema.ts';
import { serviceNames, stageNameRefusal, type NamedService } from './name-limits.ts';
import { loadStageConfig, serviceDir, type ResolverContext } from './stage-config.ts';

/**
 * The stage whose shipped configuration holds placeholder ids: packaged offline by the tests and
 * the local demo, never deployable with them.
 */
export const DEMO_STAGES: readonly string[] = ['dev'];

/** The stages that exist: one config/<stage>.yml each. */
export function stagesIn(dir: string = serviceDir): string[] {
  let files: string[];
  try {
    files = readdirSync(path.join(dir, 'config'));
  } catch {
    return [];
  }
  return files
    .filter((file) => file.endsWith('.yml'))
    .map((file) => file.slice(0, -'.yml'.length))
    .sort();
}

const listed = (stages: readonly string[]) =>
  stages.length ? stages.join(', ') : 'none yet (create config/<stage>.yml)';

/**
 * Why `stage` cannot be packaged or deployed, or undefined. No stage is a refusal, not `dev`: a
 * `serverless deploy` typed without `--stage` would otherwise put the example stage into the account.
 */
export function stageProblem(stage: unknown, stages: readonly string[]): string | undefined {
  if (stage === undefined || stage === null || stage === '') {
    return `no stage: pass --stage <name> (autotap has no default stage, so a deploy never lands on one by accident); the stages are: ${listed(stages)}`;
  }
  if (typeof stage !== 'string' || !/^[A-Za-z0-9-]+$/.test(stage)) {
    return `stage: expected letters, digits and dashes, got ${JSON.stringify(stage)}`;
  }
  if (!stages.includes(stage)) return `stage "${stage}" has no config/${stage}.yml; the stages are: ${listed(stages)}`;
  return undefined;
}

/** serverless.yml `provider.stage`: `--stage`, refused with the stages that exist when missing or unknown. */
export function stage({ options }: Pick<ResolverContext, 'options'>): string {
  const problem = stageProblem(options.stage, stagesIn());
  if (problem) {
    // Only the message: osls prints the whole stack of a rejected resolver.
    const failure = new Error(problem);
    failure.stack = problem;
    throw failure;
  }
  return options.stage as string;
}

/**
 * The refusal of a configuration that still holds the documentation's placeholder ids, or
 * undefined. Allowed only when packaging a demo stage: a deploy with them would mirror nothing.
 */
export function exampleIdRefusal(config: Config, stage: string, command: 'package' | 'deploy'): string | undefined {
  if (command === 'package' && DEMO_STAGES.includes(stage)) return undefined;
  const found = exampleValues(config);
  if (found.length === 0) return undefined;
  const lines = found.map(({ field, value }) => `  ${field}: ${value}`);
  return [
    `config/${stage}.yml holds example values from the documentation, which do not exist in your account:`,
    ...lines,
    'Replace them with your own ids and ARNs, or let the stack create the filter and target with mirroring.create (docs/configuration.md).',
  ].join('\n');
}

/** The warning for a stage whose failures reach nobody, or undefined. */
export function opsRecipientsWarning(config: Config): string | undefined {
  if (config.notifications.opsEmails.length > 0) return undefined;
  return (
    'notifications.opsEmails is empty: nobody is told when mirroring fails or events are dead-lettered. ' +
    'Add an address, or subscribe to the ops topic (stack output OpsTopicArn) after deploying.'
  );
}

interface Serverless {
  service: NamedService;
  processedInput?: { commands?: string[] };
  classes: { Error: new (message: string) => Error };
}

interface PluginUtils {
  log?: { warning(message: string): void };
}

export default class StageChecks {
  readonly hooks: Record<string, () => void>;

  constructor(serverless: Serverless, _options: unknown, utils: PluginUtils = {}) {
    const check = () => {
      const stageName = serverless.service.provider.stage;
      const config = loadStageConfig(stageName);
      const command = serverless.processedInput?.commands?.[0] === 'deploy' ? 'deploy' : 'package';
      const refusal =
        stageNameRefusal(serviceNames(serverless.service), stageName) ?? exampleIdRefusal(config, stageName, command);
      if (refusal) throw new serverless.classes.Error(refusal);
      const warning = opsRecipientsWarning(config);
      if (warning) (utils.log?.warning ?? console.warn)(warning);
    };
    this.hooks = { 'before:package:initialize': check };
  }
}
