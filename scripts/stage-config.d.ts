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
export const BUNDLED_MIRRORING: '__AUTOTAP_MIRRORING_CONFIG__';
export const BUNDLED_DETECTIONS: '__AUTOTAP_DETECTIONS_CONFIG__';
export function bundledConfigDefine(config: Pick<Config, 'mirroring' | 'detections'>): Record<string, string>;
export function bundledConfig(context: ResolverContext): Promise<Record<string, string>>;
export function emailSubscriptions(config: Pick<Config, 'notifications'>): CfnFragment;
export function opsEmailSubscriptions(context: ResolverContext): Promise<CfnFragment>;
export function reconcileSchedule(context: ResolverContext): Promise<string>;
export function ruleEventsDeadLetters(context: ResolverContext): Promise<CfnFragment>;

/** Which detection parts a configuration deploys (undefined: none, no enabled `detections` section). */
export interface DetectionParts {
  poll: boolean;
  webhook: boolean;
  slack: boolean;
  chatbot: boolean;
}

/** A CloudFormation fragment with outputs, as merged into `resources:`. */
export interface CfnFragmentWithOutputs extends CfnFragment {
  Outputs?: Record<string, { Value: unknown }>;
}

export const PROCESS_TIMEOUT_SECONDS: number;
export const PROCESS_MEMORY_MB: number;
export const POLL_MEMORY_MB: number;
export const SLACK_NOTIFY_TIMEOUT_SECONDS: number;
export const SLACK_BATCHING_WINDOW_SECONDS: number;
export const POLL_TIMEOUT_SECONDS: number;
export const POLL_EVENT_MAX_AGE_SECONDS: number;
export function pollRuleName(stage: string): string;
export function detectionsOf(config: Config): NonNullable<Config['detections']> | undefined;
export function detectionParts(config: Config): DetectionParts | undefined;
export function detectionFunctions(config: Config, stage: string): Record<string, Record<string, unknown>>;
export function detectionResources(config: Config, stage: string): CfnFragmentWithOutputs;
export function opsAlarmArns(config: Config): unknown;
export function detectionsFunctions(context: ResolverContext): Promise<Record<string, Record<string, unknown>>>;
export function detectionsResources(context: ResolverContext): Promise<CfnFragmentWithOutputs>;
export function opsTopicAlarmArns(context: ResolverContext): Promise<unknown>;
