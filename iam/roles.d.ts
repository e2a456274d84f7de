import type { Config, MirroringConfig } from '../src/config/schema.ts';
import type { CfnFragment, ResolverContext } from '../scripts/stage-config.js';

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, string | string[]>>;
}

export function attachSessionStatements(mirroring: MirroringConfig): PolicyStatement[];
export const TARGETS_PER_POLICY: number;
export const MAX_MANAGED_POLICIES_PER_ROLE: number;
/** The managed policies granting the configured targets to the session-creating roles (empty without configured targets). */
export function configuredTargetPolicies(mirroring: MirroringConfig): CfnFragment['Resources'];
export function roles(config: Config): CfnFragment['Resources'];
/** The roles of the detection functions the configuration deploys (empty without `detections`). */
export function detectionRoles(config: Config): CfnFragment['Resources'];
/** A secret's configured ARN and the same with `-??????` (the suffix AWS appends to secret ARNs). */
export function secretArns(arn: string): [string, string];
export function resources(context: ResolverContext): Promise<CfnFragment>;
export const EVENT_BUS_NAME: string;
