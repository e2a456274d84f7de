import type { Detection } from '../model.ts';

/**
 * One DynamoDB table holds the lifecycle record of every detection, the poll cursor and the webhook's
 * replay keys, told apart by the prefix of the string partition key `pk` (no sort key).
 */

export const CURSOR_KEY = 'cursor#extrahop';

/** Appliances number detections independently: the appliance id keeps two appliances' id 17 apart. */
export function detectionKey(d: Pick<Detection, 'id' | 'applianceId'>): string {
  return `detection#${d.applianceId ?? 'default'}#${d.id}`;
}

export function replayKey(signature: string): string {
  return `webhook-replay#${signature}`;
}

/** Records expire this long after their last update (DynamoDB TTL on `expiresAt`, epoch seconds). */
export const RECORD_TTL_SECONDS = 30 * 24 * 60 * 60;

export function expiresAt(now: number, ttlSeconds = RECORD_TTL_SECONDS): number {
  return Math.floor(now / 1000) + ttlSeconds;
}
