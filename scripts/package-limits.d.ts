export const LAMBDA_ENVIRONMENT_LIMIT_BYTES: number;
export const LAMBDA_LIMITS_PAGE: string;
export const MAX_UNKNOWN_VALUE_BYTES: number;

export interface MeasuredEnvironment {
  name: string;
  /** Bytes Lambda counts: the variables as one UTF-8 JSON object. */
  bytes: number;
  /** Each variable's share (`"NAME":"value"`), largest first. */
  variables: [string, number][];
}

export function resolvedValue(value: unknown, resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>, region: string): string;
export function environmentBytes(variables: Record<string, string>): number;
export function measureEnvironments(input: {
  providerEnvironment?: Record<string, unknown>;
  functions: Record<string, Record<string, unknown>>;
  resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  region: string;
}): MeasuredEnvironment[];
export function oversizedEnvironments(measured: MeasuredEnvironment[], limit?: number): string | undefined;

export const CLOUDFORMATION_MAX_RESOURCES: number;
export const CLOUDFORMATION_MAX_TEMPLATE_BYTES: number;
export const CLOUDFORMATION_LIMITS_PAGE: string;
export function oversizedStack(template: { Resources?: Record<string, { Type: string }> }): string | undefined;

export default class PackageLimits {
  constructor(serverless: unknown);
  hooks: Record<string, () => void>;
  checkEnvironments(): void;
  checkStack(): void;
}
