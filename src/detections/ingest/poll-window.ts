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
 * Any other failure throws with the cursor at the last committed point: the next poll repeats at most
 * one page, and downstream records each update by id and mod_time, so a repeat is harmless.
 *
 * A page is enqueued in chunks (ENQUEUE_CHUNK), oldest first, with the time left checked before each:
 * a large page on a slow queue stops between two chunks and commits the cursor after the last queued
 * one, so the next poll goes on from there instead of repeating a page that never fits.
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
  /** Detections per enqueue call, the time left checked before each (ENQUEUE_CHUNK by default). */
  enqueueChunk?: number;
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
  /** The detections of the page not yet queued, oldest first. */
  fresh: unknown[];
  /** The cursor once `fresh` is queued. */
  next: PollCursor;
  /** The page was shorter than asked: the backlog is read to its end. */
  last: boolean;
}

/**
 * Detections sent to the queue per enqueue call, with the time left checked before each: 1,000 are
 * 100 SendMessageBatch calls, a fraction of a second, so a page of 20,000 stops within a second of
 * running out of time instead of outlasting the function with its cursor unsaved.
 */
export const ENQUEUE_CHUNK = 1_000;

/**
 * The page's detections not yet queued, sorted oldest first (stably). The appliance sorts by mod_time,
 * but sorting here is what makes every prefix a safe place for the cursor: whatever is older than the
 * prefix's last mod_time is in the prefix, and what it left at that millisecond is read again.
 */
function freshOf(cursor: PollCursor, page: readonly unknown[]): unknown[] {
  const seen = new Set(cursor.seenIds);
  const modTimeOf = (raw: unknown) => rawModTime(raw) ?? cursor.modTime;
  return page
    .filter((raw) => {
      const id = rawId(raw);
      return !(id !== undefined && seen.has(id) && modTimeOf(raw) <= cursor.modTime);
    })
    .map((raw, order) => ({ raw, order, modTime: modTimeOf(raw) }))
    .sort((a, b) => a.modTime - b.modTime || a.order - b.order)
    .map((x) => x.raw);
}

/** The cursor once `queued`, a prefix of a page's fresh detections (oldest first), is queued. */
export function cursorAfter(cursor: PollCursor, queued: readonly unknown[]): PollCursor {
  let modTime = cursor.modTime;
  for (const raw of queued) modTime = Math.max(modTime, rawModTime(raw) ?? modTime);
  const atCursor = queued.filter((raw) => (rawModTime(raw) ?? cursor.modTime) === modTime);
  const carried = modTime === cursor.modTime ? cursor : { modTime, seenIds: [], seenCount: 0 };
  const seenCount = carried.seenCount + atCursor.length;
  const ids = atCursor.map(rawId);
  const keepIds =
    carried.seenIds.length === carried.seenCount && seenCount <= MAX_SEEN_IDS && ids.every((id) => id !== undefined);
  return { modTime, seenIds: keepIds ? [...carried.seenIds, ...ids] : [], seenCount };
}

/** What one page adds: pure, so that the rules for shared milliseconds are tested without a network. */
export function pageStep(cursor: PollCursor, search: DetectionSearch, page: readonly unknown[]): PageStep {
  const fresh = freshOf(cursor, page);
  return { fresh, next: cursorAfter(cursor, fresh), last: page.length < search.limit };
}

function parkedOf(raw: unknown, reason: string): ParkedDetection {
  const id = rawId(raw);
  const modTime = rawModTime(raw);
  return {
    ...(id !== undefined ? { id } : {}),
    ...(modTime !== undefined ? { modTime } : {}),
    bytes: Buffer.byteLength(JSON.stringify(raw) ?? '', 'utf8'),
    reason,
  };
}

const same = (a: PollCursor, b: PollCursor) => a.modTime === b.modTime && a.seenCount === b.seenCount;

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
  /** Commits `next` when it moves the cursor (or a first poll has none yet); false when overtaken. */
  const commit = async (next: PollCursor, pageParked: ParkedDetection[]): Promise<boolean> => {
    // Reported before the cursor moves past them: a lost report would otherwise lose them silently.
    if (pageParked.length > 0) await ports.reportParked?.(pageParked);
    parked.push(...pageParked);
    if (same(next, cursor) && (stored !== undefined || moved)) return true;
    if (!(await ports.commitCursor(stored, next))) {
      // Another poll moved the cursor meanwhile; it carries on from there, and this one stops.
      const current = await ports.readCursor();
      if (current) cursor = current;
      return false;
    }
    stored = { ...next, revision: (stored?.revision ?? 0) + 1 };
    cursor = next;
    moved = true;
    return true;
  };
  for (;;) {
    if (pages >= maxPages || (pages > 0 && ports.hasTimeFor && !ports.hasTimeFor())) {
      // The rest of the backlog waits for the next poll, which starts from the committed cursor.
      return result('incomplete', pages >= maxPages ? `more than ${maxPages} pages` : 'out of time');
    }
    const search = nextPageSearch(cursor, options.pageSize, options);
    const page = await ports.search(search);
    pages += 1;
    const step = pageStep(cursor, search, page);
    const pageParked: ParkedDetection[] = [];
    const chunkSize = options.enqueueChunk ?? ENQUEUE_CHUNK;
    let queued = 0;
    for (; queued < step.fresh.length; queued += chunkSize) {
      // The poll's first chunk always goes, so that every poll moves the cursor however slow SQS is.
      const first = pages === 1 && queued === 0;
      if (!first && ports.hasTimeFor && !ports.hasTimeFor()) break;
      const chunk = step.fresh.slice(queued, queued + chunkSize);
      let refused: Map<number, string>;
      try {
        refused = await ports.enqueue(chunk);
      } catch (error) {
        // The chunks before this one are queued: the cursor keeps them, and the next poll starts after them.
        if (queued > 0) await commit(cursorAfter(cursor, step.fresh.slice(0, queued)), pageParked).catch(() => false);
        throw error;
      }
      for (const [index, reason] of refused) pageParked.push(parkedOf(chunk[index], reason));
      enqueued += chunk.length - refused.size;
    }
    const whole = queued >= step.fresh.length;
    const next = whole ? step.next : cursorAfter(cursor, step.fresh.slice(0, queued));
    const advanced = !same(next, cursor);
    if (!(await commit(next, pageParked))) return result('overtaken', 'another poll moved the cursor');
    if (!whole) return result('incomplete', `out of time within a page (${queued} of ${step.fresh.length} queued)`);
    if (step.last) return result(moved ? 'committed' : 'unchanged');
    // A full page that adds nothing (every detection on it older than the cursor) would be asked for forever.
    if (!advanced) return result('incomplete', 'a full page without a detection at or after the cursor');
  }
}
