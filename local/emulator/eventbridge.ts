import { randomUUID } from 'node:crypto';
import { ApiError } from './errors.ts';
import { RegionalService } from './regional-service.ts';

/** EventBridge's PutEvents over its JSON 1.1 protocol (`X-Amz-Target: AWSEvents.PutEvents`). */

const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;
const BUS_NAME = /^[A-Za-z0-9._\-/]{1,256}$/;

export interface RecordedEvent {
  eventId: string;
  eventBusName: string;
  source: string;
  detailType: string;
  /** The Detail, parsed. */
  detail: unknown;
  resources: string[];
  /** ISO time: the entry's Time, else when it was received. */
  time: string;
}

const validation = (message: string) => new ApiError('ValidationException', message);

/** ListRules: https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_ListRules.html */
const RULE_NAME = /^[.\-_A-Za-z0-9]{1,64}$/;
const LIST_RULES_MAX = 100;
export const RULE_STATES = ['ENABLED', 'DISABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS'] as const;
export type RuleStateName = (typeof RULE_STATES)[number];

export class EventBuses extends RegionalService {
  readonly names = new Set<string>(['default']);
  /** Rules by bus, then name (no targets or matching: enough to list them and their state). */
  private readonly rules = new Map<string, Map<string, RuleStateName>>();
  readonly recorded: RecordedEvent[] = [];
  /** Entries still to be refused with an injected per-entry error, and that error's code. */
  private failing = { count: 0, code: 'InternalFailure' };

  create(name: string): void {
    if (!BUS_NAME.test(name) || name.includes('/')) throw validation(`Event bus name "${name}" is not valid`);
    this.names.add(name);
  }

  putRule(name: string, state: RuleStateName = 'ENABLED', busName = 'default'): void {
    if (!RULE_NAME.test(name)) throw validation(`Rule name "${name}" is not valid`);
    const bus = this.resolve(busName);
    if (bus === undefined) throw new ApiError('ResourceNotFoundException', `Event bus ${busName} does not exist.`);
    const rules = this.rules.get(bus) ?? new Map<string, RuleStateName>();
    rules.set(name, state);
    this.rules.set(bus, rules);
  }

  /** Rules by name order, at most Limit (1-100) per page, NextToken for the rest. */
  listRules(input: Record<string, unknown>): Record<string, unknown> {
    const { NamePrefix: prefix, Limit: limit, NextToken: token, EventBusName: busName } = input;
    if (prefix !== undefined && (typeof prefix !== 'string' || !RULE_NAME.test(prefix))) {
      throw validation(
        "1 validation error detected: Value at 'namePrefix' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+",
      );
    }
    if (
      limit !== undefined &&
      (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > LIST_RULES_MAX)
    ) {
      throw validation(
        `1 validation error detected: Value at 'limit' failed to satisfy constraint: Member must have value between 1 and ${LIST_RULES_MAX}`,
      );
    }
    const bus = this.resolve(busName as string | undefined);
    if (bus === undefined)
      throw new ApiError('ResourceNotFoundException', `Event bus ${String(busName)} does not exist.`);
    const start = token === undefined ? 0 : Number(token);
    if (!Number.isInteger(start) || start < 0) throw validation('The NextToken is not valid.');
    const names = [...(this.rules.get(bus) ?? new Map<string, RuleStateName>()).entries()]
      .filter(([name]) => prefix === undefined || name.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const page = names.slice(start, start + (limit ?? LIST_RULES_MAX));
    const next = start + page.length;
    return {
      Rules: page.map(([name, state]) => ({
        Name: name,
        Arn: `arn:aws:events:${this.region}:${this.accountId}:rule/${bus === 'default' ? '' : `${bus}/`}${name}`,
        State: state,
        EventBusName: bus,
      })),
      ...(next < names.length ? { NextToken: String(next) } : {}),
    };
  }

  /** The next `count` entries PutEvents receives are reported failed with `code`, as a busy service does. */
  failEntries(count: number, code = 'InternalFailure'): void {
    this.failing = { count, code };
  }

  /** A name or an ARN of this account and region, as EventBusName accepts; undefined when unknown. */
  resolve(nameOrArn: string | undefined): string | undefined {
    const value = nameOrArn === undefined || nameOrArn === '' ? 'default' : nameOrArn;
    const prefix = `arn:aws:events:${this.region}:${this.accountId}:event-bus/`;
    const name = value.startsWith('arn:') ? (value.startsWith(prefix) ? value.slice(prefix.length) : undefined) : value;
    return name !== undefined && this.names.has(name) ? name : undefined;
  }

  putEvents(input: Record<string, unknown>): Record<string, unknown> {
    const entries = input.Entries;
    if (!Array.isArray(entries) || entries.length === 0) {
      throw validation(
        "1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length greater than or equal to 1",
      );
    }
    if (entries.length > MAX_ENTRIES) {
      throw validation(
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to ${MAX_ENTRIES}`,
      );
    }
    if (!entries.every((e) => typeof e === 'object' && e !== null && !Array.isArray(e)))
      throw new ApiError('SerializationException', 'Entries must be a list of objects');
    const typed = entries as Record<string, unknown>[];
    const size = typed.reduce((sum, e) => sum + entrySize(e), 0);
    if (size > MAX_REQUEST_BYTES)
      throw validation(
        `Total size of the entries in the request is over the limit (${size} bytes, limit ${MAX_REQUEST_BYTES})`,
      );
    // A bus that does not exist fails the whole call: a misnamed bus must not lose events silently.
    for (const entry of typed) {
      const bus = entry.EventBusName;
      if (bus !== undefined && typeof bus !== 'string') throw validation('EventBusName must be a string');
      if (this.resolve(bus) === undefined)
        throw new ApiError('ResourceNotFoundException', `Event bus ${bus} does not exist.`);
    }
    let failed = 0;
    const results = typed.map((entry) => {
      const problem = this.problemOf(entry);
      if (problem) {
        failed += 1;
        return { ErrorCode: problem.code, ErrorMessage: problem.message };
      }
      const eventId = randomUUID();
      this.recorded.push({
        eventId,
        eventBusName: this.resolve(entry.EventBusName as string | undefined)!,
        source: entry.Source as string,
        detailType: entry.DetailType as string,
        detail: JSON.parse(entry.Detail as string),
        resources: Array.isArray(entry.Resources) ? (entry.Resources as string[]) : [],
        time: new Date(typeof entry.Time === 'number' ? entry.Time * 1000 : this.now()).toISOString(),
      });
      return { EventId: eventId };
    });
    return { FailedEntryCount: failed, Entries: results };
  }

  private problemOf(entry: Record<string, unknown>): { code: string; message: string } | undefined {
    for (const field of ['Source', 'DetailType', 'Detail']) {
      const value = entry[field];
      if (typeof value !== 'string' || value === '')
        return {
          code: 'InvalidArgument',
          message: `Parameter ${field} is not valid. Reason: ${field} is a required argument.`,
        };
    }
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail as string);
    } catch {
      return { code: 'MalformedDetail', message: 'Detail is malformed.' };
    }
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail))
      return { code: 'MalformedDetail', message: 'Detail is malformed.' };
    if ((entry.Source as string).startsWith('aws.')) {
      return {
        code: 'NotAuthorizedForSourceException',
        message: `Not authorized for the source ${entry.Source as string}.`,
      };
    }
    if (this.failing.count > 0) {
      this.failing.count -= 1;
      return { code: this.failing.code, message: 'Injected failure of this entry.' };
    }
    return undefined;
  }
}

/** EventBridge's documented size calculation: UTF-8 bytes of the strings, 14 for a Time. */
function entrySize(entry: Record<string, unknown>): number {
  let size = entry.Time !== undefined ? 14 : 0;
  for (const field of ['Source', 'DetailType', 'Detail'])
    if (typeof entry[field] === 'string') size += Buffer.byteLength(entry[field], 'utf8');
  if (Array.isArray(entry.Resources))
    for (const r of entry.Resources) if (typeof r === 'string') size += Buffer.byteLength(r, 'utf8');
  return size;
}

export type EventsHandler = (input: Record<string, unknown>, buses: EventBuses) => Record<string, unknown>;

export const EVENTS_ACTIONS: Record<string, EventsHandler> = {
  PutEvents: (input, buses) => buses.putEvents(input),
  ListRules: (input, buses) => buses.listRules(input),
};
