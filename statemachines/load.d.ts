import type { ResolverContext } from '../scripts/stage-config.js';

export function renderDefinition(file: string, functionKeys?: string[]): Record<string, unknown>;
export function mirrorInstances(context: ResolverContext): Promise<Record<string, unknown>>;
export function cleanupSessions(context: ResolverContext): Promise<Record<string, unknown>>;
export function reconcile(context: ResolverContext): Promise<Record<string, unknown>>;
