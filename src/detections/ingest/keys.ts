import type { Detection } from '../model.ts';

/**
 * One DynamoDB table holds the lifecycle record of every detection, the poll cursor and the webhook's
 * replay keys, told apart by the prefix of the string partition key `pk` (no sort key).
 */

/**
 * The prefix of each kind of item. IAM gives each function only its own kinds (dynamodb:LeadingKeys
 * in deploy/roles.ts): every key a function writes must start with one of these.
 */
export const KEY_PREFIXES = { detection: 'detection#', cursor: 'cursor#', replay: 'webhook-replay#' } as const;

export const CURSOR_KEY = `${KEY_PREFIXES.cursor}extrahop`;

/** Appliances number detections independently: the appliance id keeps two appliances' id 17 apart. */
export function detectionKey(d: Pick<Detection, 'id' | 'applianceId'>): string {
  return `${KEY_PREFIXES.detection}${d.applianceId ?? 'default'}#${d.id}`;
}

export function replayKey(signature: string): string {
  return `${KEY_PREFIXES.replay}${signature}`;
}

/** Records expire this long after their last update (DynamoDB TTL on `expiresAt`, epoch seconds). */
export const RECORD_TTL_SECONDS = 30 * 24 * 60 * 60;

export function expiresAt(now: number, ttlSeconds = RECORD_TTL_SECONDS): number {
  return Math.floor(now / 1000) + ttlSeconds;
}
