import { splitIntoBatches } from '../batches.ts';
import {
  EventBridgeClient,
  ListRulesCommand,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import type { AutotapEvent } from '../mirroring/autotap-events.ts';
import { RetryableError } from '../mirroring/errors.ts';
import type { RuleState } from '../mirroring/uninstall.ts';
import { awsCall } from './errors.ts';
import { countThrottles } from './throttles.ts';

let shared: { endpoint: string | undefined; client: EventBridgeClient } | undefined;
/** One client per container, as in ec2.ts. */
export function eventBridgeClient(): EventBridgeClient {
  const endpoint = process.env.AWS_ENDPOINT_URL_EVENTBRIDGE ?? process.env.AWS_ENDPOINT_URL;
  if (!shared || shared.endpoint !== endpoint)
    shared = { endpoint, client: countThrottles(new EventBridgeClient({}), 'events') };
  return shared.client;
}

/** The bus autotap publishes to: EVENT_BUS_NAME, else the account's default bus. */
export function eventBusName(env: NodeJS.ProcessEnv = process.env): string {
  return env.EVENT_BUS_NAME || 'default';
}

export const PUT_EVENTS_MAX_ENTRIES = 10;
/** PutEvents' limit for a whole request, counted as entrySize counts. */
export const PUT_EVENTS_MAX_BYTES = 256 * 1024;
/** Rounds of PutEvents for the entries EventBridge reported failed (the SDK already retries whole calls). */
export const FAILED_ENTRY_ROUNDS = 4;

export function toEntry(event: AutotapEvent, busName: string): PutEventsRequestEntry {
  return {
    EventBusName: busName,
    Source: event.source,
    DetailType: event.detailType,
    Detail: JSON.stringify(event.detail),
  };
}

/** An entry's size as EventBridge documents the calculation: UTF-8 bytes of its fields, 14 for a Time. */
export function entrySize(entry: PutEventsRequestEntry): number {
  let size = entry.Time ? 14 : 0;
  for (const text of [entry.Source, entry.DetailType, entry.Detail, ...(entry.Resources ?? [])]) {
    if (text) size += Buffer.byteLength(text, 'utf8');
  }
  return size;
}

function batchesOf(indexes: readonly number[], entries: readonly PutEventsRequestEntry[]): number[][] {
  return splitIntoBatches(indexes, {
    maxEntries: PUT_EVENTS_MAX_ENTRIES,
    maxBytes: PUT_EVENTS_MAX_BYTES,
    sizeOf: (i) => entrySize(entries[i]!),
  });
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface PutOptions {
  busName?: string;
  client?: EventBridgeClient;
  /** Base of the pause between rounds, in ms (exponential, full jitter). */
  pauseMs?: number;
}

/**
 * Publishes every event with PutEvents (at most 10 entries and 256 KB per call). Entries that
 * EventBridge reports failed (FailedEntryCount, Entries[i].ErrorCode) are sent again, a bounded
 * number of rounds; what is still unsent then is thrown as ServiceUnavailable, which the state
 * machine retries. A call that fails as a whole has already been retried by the SDK and is thrown
 * as a domain error (src/aws/errors.ts).
 */
export async function putAutotapEvents(events: readonly AutotapEvent[], options: PutOptions = {}): Promise<void> {
  if (events.length === 0) return;
  const client = options.client ?? eventBridgeClient();
  const busName = options.busName ?? eventBusName();
  const pauseMs = options.pauseMs ?? 100;
  const entries = events.map((e) => toEntry(e, busName));
  let pending = entries.map((_, i) => i);
  let reason = '';
  for (let round = 0; round < FAILED_ENTRY_ROUNDS && pending.length > 0; round++) {
    if (round > 0) await pause(Math.random() * pauseMs * 2 ** round);
    const again: number[] = [];
    for (const batch of batchesOf(pending, entries)) {
      const out = await awsCall('PutEvents', () =>
        client.send(new PutEventsCommand({ Entries: batch.map((index) => entries[index]!) })),
      );
      if (!out.FailedEntryCount) continue;
      // Result entries are in the order of the request's entries.
      (out.Entries ?? []).forEach((result, position) => {
        if (!result.ErrorCode) return;
        again.push(batch[position]!);
        reason = `${result.ErrorCode}${result.ErrorMessage ? `: ${result.ErrorMessage}` : ''}`;
      });
    }
    pending = again;
  }
  if (pending.length > 0) {
    throw new RetryableError(
      'ServiceUnavailable',
      `EventBridge: ${pending.length} of ${entries.length} event(s) not published to ${busName} (${reason})`,
    );
  }
}

/** ListRules' largest page (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_ListRules.html). */
const LIST_RULES_LIMIT = 100;

/** The rules of the account's default bus whose names start with `namePrefix`, with their state. */
export function listRules(namePrefix: string, client = eventBridgeClient()): Promise<RuleState[]> {
  return awsCall('ListRules', async () => {
    const rules: RuleState[] = [];
    let nextToken: string | undefined;
    do {
      const out = await client.send(
        new ListRulesCommand({
          NamePrefix: namePrefix,
          Limit: LIST_RULES_LIMIT,
          ...(nextToken ? { NextToken: nextToken } : {}),
        }),
      );
      for (const rule of out.Rules ?? [])
        if (rule.Name) rules.push({ name: rule.Name, state: rule.State ?? 'ENABLED' });
      nextToken = out.NextToken;
    } while (nextToken);
    return rules;
  });
}
