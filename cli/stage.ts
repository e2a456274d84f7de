import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigFile } from '../src/config/load.ts';
import type { Config } from '../src/config/schema.ts';
import { UsageError } from './errors.ts';
import { didYouMean } from './suggest.ts';

/** The stages of a checkout: one config/<stage>.yml each. */
export function stageNames(root: string): string[] {
  const dir = join(root, 'config');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => file.endsWith('.yml'))
    .map((file) => file.slice(0, -'.yml'.length))
    .sort();
}

/**
 * The file of a stage of this checkout, config/<stage>.yml; a stage without one is answered with the
 * stages there are (a mistyped stage must not reach an account).
 */
export function requireStage(root: string, stage: string): string {
  const file = join(root, 'config', `${stage}.yml`);
  if (!/^[A-Za-z0-9-]+$/.test(stage) || !existsSync(file)) {
    const stages = stageNames(root);
    throw new UsageError(
      `--stage ${stage}: no config/${stage}.yml${didYouMean(stage, stages)}; the stages that exist: ${stages.join(', ') || 'none (add config/<stage>.yml)'}`,
    );
  }
  return file;
}

/** config/<stage>.yml, validated; a stage without a file is answered with the stages there are. */
export function loadStageConfig(root: string, stage: string): Config {
  return loadConfigFile(requireStage(root, stage));
}

/** The configuration a command works from: --config FILE, else config/<stage>.yml. */
export function commandConfig(values: { config?: string | undefined; stage: string }, root: string): Config {
  return values.config ? loadConfigFile(values.config) : loadStageConfig(root, values.stage);
}
