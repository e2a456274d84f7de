import { detectionSearch, MAX_SEARCH_LIMIT, type DetectionSearch, type SearchFilterOptions } from './search.ts';

/**
 * One poll: the detections modified since the cursor, page by page, each page enqueued and then the
 * cursor committed before the next page is read. Whatever stops a poll (a failure, the page limit, the
 * time budget), what it queued is behind the cursor and is never read again from the start: a backlog
 * drains over as many polls as it needs, each one picking up where the last committed page ended.
 *
 * Each page is a fresh search from the cursor, `mod_time >= cursor` sorted by mod_time ascending, so
 * offsets never grow with the backlog. Detections sharing the cursor's millisecond are the subtle
 * part: the appliance sorts by mod_time only, so their order among themselves is not promised and a
 * page boundary can fall among them. The cursor therefore also names the detections at its mod_time
 * that were queued (`seenIds`); the next page starts at offset 0 with room for them, and drops them by
 * id. Nothing at that millisecond is lost (they are all read again) and nothing is queued twice. When
 * more detections than MAX_SEEN_IDS share one millisecond, the ids are no longer kept and the page
 * skips `seenCount` by offset instead, which relies on the appliance keeping its order among them.
 *
 * A raw detection SQS refuses for what it is (too large for a message, characters SQS does not carry)
 * cannot improve by waiting: it is parked (reported, named by id and reason) and the cursor moves on.
 * Any other failure throws with the cursor at the last committed page: the next poll repeats at most
 * that one page, and downstream records each update by id and mod_time, so a repeat is harmless.
 */

/** Where the next page starts. */
export interface PollCursor {
  /** Epoch ms: every detection modified before it has been queued. */
  modTime: number;
  /** Ids of the detections at exactly `modTime` already queued (empty once there were too many to keep). */
  seenIds: string[];
  /** How many detections at exactly `modTime` were queued. */
  seenCount: number;
}

/** A stored cursor with its revision, which conditional commits compare. */
export interface StoredPollCursor extends PollCursor {
  revision: number;
}

/** A detection that could not be queued for what it is, with SQS's reason. */
export interface ParkedDetection {
  id?: string;
  modTime?: number;
  bytes: number;
  reason: string;
}

export interface PollPorts {
  readCursor(): Promise<StoredPollCursor | undefined>;
  /** False when another poll moved the cursor since `previous` was read. */
  commitCursor(previous: StoredPollCursor | undefined, next: PollCursor): Promise<boolean>;
  search(search: DetectionSearch): Promise<unknown[]>;
  /**
   * Enqueues one page's raw detections. Returns the positions refused for good (with SQS's reason);
   * throws when any other could not be enqueued.
   */
  enqueue(raw: unknown[]): Promise<Map<number, string>>;
  /** Tells ops about detections that were parked. */
  reportParked?(parked: ParkedDetection[]): Promise<void>;
  /** Whether there is time for one more page. */
  hasTimeFor?(): boolean;
}

export interface PollOptions extends SearchFilterOptions {
  pageSize: number;
  /** Where a first poll starts (epoch ms). */
  initialCursor: number;
  /** Pages per poll; the rest of the backlog is read by the next poll, from the committed cursor. */
  maxPages?: number;
}

export type PollOutcome = 'committed' | 'unchanged' | 'incomplete' | 'overtaken';

export interface PollResult {
  outcome: PollOutcome;
  from: number;
  /** The committed cursor's mod_time when the poll ended. */
  cursor: number;
  /** Detections at exactly `cursor` that are already queued. */
  cursorSeen: number;
  pages: number;
  enqueued: number;
  /** Detections that could not be queued and were reported instead. */
  parked: ParkedDetection[];
  /** Why a poll stopped before the end of the backlog. */
  reason?: string;
}

/** mod_time of a raw detection in ms: REST snake_case or stream camelCase, number or ISO text. */
export function rawModTime(raw: unknown): number | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const record = raw as Record<string, unknown>;
  const value = record.mod_time ?? record.modTime ?? record.update_time ?? record.updateTime;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'string') {
    const ms = /^\d{1,16}$/.test(value.trim()) ? Number(value.trim()) : Date.parse(value);
    return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
  }
  return undefined;
}

/** The id of a raw detection as a string of digits, when it has one. */
export function rawId(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const id = (raw as Record<string, unknown>).id;
  if (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0) return String(id);
  return typeof id === 'string' && /^\d{1,20}$/.test(id.trim()) ? id.trim() : undefined;
}

const DEFAULT_MAX_PAGES = 100;
/**
 * Ids kept in the cursor for its millisecond. 5,000 ids of up to 20 digits keep the cursor item near
 * 120 KB, well inside DynamoDB's 400 KB item limit.
 */
export const MAX_SEEN_IDS = 5_000;

/** The search for the page after `cursor`: offset 0 with room for the ids it names, or an offset past them. */
export function nextPageSearch(
  cursor: PollCursor,
  pageSize: number,
  options: SearchFilterOptions = {},
): DetectionSearch {
  const idsKnown = cursor.seenIds.length === cursor.seenCount;
  if (idsKnown && cursor.seenCount + pageSize <= MAX_SEARCH_LIMIT)
    return detectionSearch(cursor.modTime, 0, cursor.seenCount + pageSize, options);
  return detectionSearch(cursor.modTime, cursor.seenCount, pageSize, options);
}

export interface PageStep {
  /** The detections of the page not yet queued, in page order. */
  fresh: unknown[];
  /** The cursor once `fresh` is queued. */
  next: PollCursor;
  /** The page was shorter than asked: the backlog is read to its end. */
  last: boolean;
}

/** What one page adds: pure, so that the rules for shared milliseconds are tested without a network. */
export function pageStep(cursor: PollCursor, search: DetectionSearch, page: readonly unknown[]): PageStep {
  const seen = new Set(cursor.seenIds);
  const fresh = page.filter((raw) => {
    const id = rawId(raw);
    return !(id !== undefined && seen.has(id) && (rawModTime(raw) ?? cursor.modTime) <= cursor.modTime);
  });
  let modTime = cursor.modTime;
  for (const raw of fresh) modTime = Math.max(modTime, rawModTime(raw) ?? modTime);
  const atCursor = fresh.filter((raw) => (rawModTime(raw) ?? cursor.modTime) === modTime);
  const carried = modTime === cursor.modTime ? cursor : { modTime, seenIds: [], seenCount: 0 };
  const seenCount = carried.seenCount + atCursor.length;
  const ids = atCursor.map(rawId);
  const keepIds =
    carried.seenIds.length === carried.seenCount && seenCount <= MAX_SEEN_IDS && ids.every((id) => id !== undefined);
  return {
    fresh,
    next: { modTime, seenIds: keepIds ? [...carried.seenIds, ...ids] : [], seenCount },
    last: page.length < search.limit,
  };
}

export async function pollWindow(ports: PollPorts, options: PollOptions): Promise<PollResult> {
  let stored = await ports.readCursor();
  const from = stored?.modTime ?? options.initialCursor;
  let cursor: PollCursor = stored ?? { modTime: from, seenIds: [], seenCount: 0 };
  const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
  const parked: ParkedDetection[] = [];
  let pages = 0;
  let enqueued = 0;
  let moved = false;
  const result = (outcome: PollOutcome, reason?: string): PollResult => ({
    outcome,
    from,
    cursor: cursor.modTime,
    cursorSeen: cursor.seenCount,
    pages,
    enqueued,
    parked,
    ...(reason ? { reason } : {}),
  });
  for (;;) {
    if (pages >= maxPages || (pages > 0 && ports.hasTimeFor && !ports.hasTimeFor())) {
      // The rest of the backlog waits for the next poll, which starts from the committed cursor.
      return result('incomplete', pages >= maxPages ? `more than ${maxPages} pages` : 'out of time');
    }
    const search = nextPageSearch(cursor, options.pageSize, options);
    const page = await ports.search(search);
    pages += 1;
    const step = pageStep(cursor, search, page);
    if (step.fresh.length > 0) {
      const refused = await ports.enqueue(step.fresh);
      const parkedHere = [...refused].map(([index, reason]): ParkedDetection => {
        const raw = step.fresh[index];
        const id = rawId(raw);
        const modTime = rawModTime(raw);
        return {
          ...(id !== undefined ? { id } : {}),
          ...(modTime !== undefined ? { modTime } : {}),
          bytes: Buffer.byteLength(JSON.stringify(raw) ?? '', 'utf8'),
          reason,
        };
      });
      // Reported before the cursor moves past them: a lost report would otherwise lose them silently.
      if (parkedHere.length > 0) await ports.reportParked?.(parkedHere);
      parked.push(...parkedHere);
      enqueued += step.fresh.length - refused.size;
    }
    const advanced = step.next.modTime !== cursor.modTime || step.next.seenCount !== cursor.seenCount;
    if (advanced || (stored === undefined && !moved)) {
      if (!(await ports.commitCursor(stored, step.next))) {
        // Another poll moved the cursor meanwhile; it carries on from there, and this one stops.
        const current = await ports.readCursor();
        if (current) cursor = current;
        return result('overtaken', 'another poll moved the cursor');
      }
      stored = { ...step.next, revision: (stored?.revision ?? 0) + 1 };
      cursor = step.next;
      moved = true;
    }
    if (step.last) return result(moved ? 'committed' : 'unchanged');
    // A full page that adds nothing (every detection on it older than the cursor) would be asked for forever.
    if (!advanced) return result('incomplete', 'a full page without a detection at or after the cursor');
  }
}
