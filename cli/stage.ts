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

/** config/<stage>.yml, validated; a stage without a file is answered with the stages there are. */
export function loadStageConfig(root: string, stage: string): Config {
  const file = join(root, 'config', `${stage}.yml`);
  if (!/^[A-Za-z0-9-]+$/.test(stage) || !existsSync(file)) {
    const stages = stageNames(root);
    throw new UsageError(
      `--stage ${stage}: no config/${stage}.yml${didYouMean(stage, stages)}; the stages that exist: ${stages.join(', ') || 'none (add config/<stage>.yml)'}`,
    );
  }
  return loadConfigFile(file);
}
