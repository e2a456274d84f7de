import type { MirroringConfig } from '../config/schema.ts';

/** AWS allows three sessions per source ENI (not adjustable). */
export const SESSIONS_PER_INTERFACE = 3;

type NumberRange = MirroringConfig['sessionNumber'];

export type SessionNumberChoice = { sessionNumber: number } | { reason: 'session-limit' | 'no-session-number' };

/**
 * The preferred number if free, else the lowest free number above it within [min, max].
 * Lower numbers win when several sessions' filters match a packet, so never move below `preferred`.
 */
export function pickSessionNumber(used: readonly number[], range: NumberRange): SessionNumberChoice {
  if (used.length >= SESSIONS_PER_INTERFACE) return { reason: 'session-limit' };
  const taken = new Set(used);
  const start = Math.max(range.preferred, range.min);
  for (let n = start; n <= range.max; n += 1) {
    if (!taken.has(n)) return { sessionNumber: n };
  }
  return { reason: 'no-session-number' };
}
