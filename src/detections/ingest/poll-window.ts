import { detectionSearch, type DetectionSearch, type SearchFilterOptions } from './search.ts';

/**
 * One poll: every detection modified since the cursor, page by page (offset pagination, mod_time
 * ascending, until a short page), each page enqueued before the next is read. The cursor moves only
 * after the last page is enqueued, to the largest mod_time seen (pages may be out of order). A failure
 * anywhere leaves it where it was, so the next poll reads the whole window again: duplicates are
 * harmless downstream, where each update is recorded by id and mod_time.
 *
 * The window starts at the cursor itself (`mod_time >= cursor`): detections modified in the same
 * millisecond as the last one seen, but after it was read, are not skipped. The price is that each poll
 * enqueues the last detection again.
 */

export interface PollPorts {
  readCursor(): Promise<number | undefined>;
  /** False when another poll moved the cursor since it was read. */
  commitCursor(previous: number | undefined, next: number): Promise<boolean>;
  search(search: DetectionSearch): Promise<unknown[]>;
  /** Every raw detection of one page; throws when any could not be enqueued. */
  enqueue(raw: unknown[]): Promise<void>;
  /** Whether there is time for one more page. */
  hasTimeFor?(): boolean;
}

export interface PollOptions extends SearchFilterOptions {
  pageSize: number;
  /** Where a first poll starts (epoch ms). */
  initialCursor: number;
  /** Offset pagination stops here; the rest of the window waits for the next poll. */
  maxPages?: number;
}

export type PollOutcome = 'committed' | 'unchanged' | 'incomplete' | 'overtaken';

export interface PollResult {
  outcome: PollOutcome;
  from: number;
  /** The committed cursor; for an incomplete window, where it stays. */
  cursor: number;
  pages: number;
  enqueued: number;
  /** Why a window stopped early. */
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

const DEFAULT_MAX_PAGES = 100;

export async function pollWindow(ports: PollPorts, options: PollOptions): Promise<PollResult> {
  const stored = await ports.readCursor();
  const from = stored ?? options.initialCursor;
  const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
  let latest = from;
  let pages = 0;
  let enqueued = 0;
  let offset = 0;
  for (;;) {
    if (pages >= maxPages || (pages > 0 && ports.hasTimeFor && !ports.hasTimeFor())) {
      // A window too long for one invocation: what was enqueued stays enqueued, the cursor stays put.
      return { outcome: 'incomplete', from, cursor: from, pages, enqueued, reason: pages >= maxPages ? `more than ${maxPages} pages` : 'out of time' };
    }
    const page = await ports.search(detectionSearch(from, offset, options.pageSize, options));
    pages += 1;
    if (page.length > 0) await ports.enqueue(page);
    enqueued += page.length;
    for (const raw of page) latest = Math.max(latest, rawModTime(raw) ?? latest);
    if (page.length < options.pageSize) break;
    offset += page.length;
  }
  if (latest === from && stored !== undefined) return { outcome: 'unchanged', from, cursor: from, pages, enqueued };
  let previous = stored;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await ports.commitCursor(previous, latest)) return { outcome: 'committed', from, cursor: latest, pages, enqueued };
    // Another poll committed meanwhile: never move its cursor backwards.
    const current = await ports.readCursor();
    if (current !== undefined && current >= latest) return { outcome: 'overtaken', from, cursor: current, pages, enqueued };
    previous = current;
  }
  return { outcome: 'overtaken', from, cursor: from, pages, enqueued, reason: 'the cursor kept changing' };
}
