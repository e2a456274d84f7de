import type { Config } from '../src/config/schema.ts';

/** What osls passes to a resolver function in a `${file(...)}` variable. */
export interface ResolverContext {
  options: Record<string, unknown>;
  resolveVariable(variable: string): Promise<unknown>;
  resolveConfigurationProperty(path: string[]): Promise<unknown>;
}

export interface CfnFragment {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
}

export const serviceDir: string;
export function stageOf(context: Pick<ResolverContext, 'resolveVariable'>): Promise<string>;
export function loadStageConfig(stage: string, dir?: string): Config;
export function config(context: ResolverContext): Promise<Config>;
export function json(context: ResolverContext): Promise<string>;
export function emailSubscriptions(config: Pick<Config, 'notifications'>): CfnFragment;
export function opsEmailSubscriptions(context: ResolverContext): Promise<CfnFragment>;
export function reconcileSchedule(context: ResolverContext): Promise<string>;
