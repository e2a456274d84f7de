import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  nextPageSearch,
  pageStep,
  pollWindow,
  type PollCursor,
  type PollPorts,
  type StoredPollCursor,
} from '../../src/detections/ingest/poll-window.ts';
import type { DetectionSearch } from '../../src/detections/ingest/search.ts';

interface Raw {
  id: number;
  mod_time: number;
}

/**
 * An appliance that sorts by mod_time only and orders detections sharing a millisecond differently on
 * every search (it promises nothing there), with offset pagination and its 20,000 limit.
 */
function unstableAppliance(detections: Raw[], seed: number) {
  let state = seed >>> 0 || 1;
  const random = () => {
    state = (state * 1_103_515_245 + 12_345) >>> 0;
    return state / 2 ** 32;
  };
  const searches: DetectionSearch[] = [];
  const search = async (s: DetectionSearch): Promise<unknown[]> => {
    if (s.limit > 20_000) throw new Error('limit above 20000');
    searches.push(s);
    const keyed = detections.filter((d) => d.mod_time >= s.mod_time).map((d) => ({ d, k: random() }));
    keyed.sort((a, b) => a.d.mod_time - b.d.mod_time || a.k - b.k);
    return keyed.slice(s.offset, s.offset + s.limit).map((x) => x.d);
  };
  return { search, searches };
}

function memoryPorts(
  search: (s: DetectionSearch) => Promise<unknown[]>,
  queued: number[],
  refuse: (raw: Raw) => string | undefined = () => undefined,
) {
  let stored: StoredPollCursor | undefined;
  const parked: unknown[] = [];
  const ports: PollPorts = {
    readCursor: async () => stored,
    commitCursor: async (previous, next) => {
      if ((previous?.revision ?? -1) !== (stored?.revision ?? -1)) return false;
      stored = { ...next, revision: (stored?.revision ?? 0) + 1 };
      return true;
    },
    search,
    enqueue: async (raw) => {
      const refused = new Map<number, string>();
      raw.forEach((r, i) => {
        const reason = refuse(r as Raw);
        if (reason) refused.set(i, reason);
        else queued.push((r as Raw).id);
      });
      return refused;
    },
    reportParked: async (items) => {
      parked.push(...items);
    },
  };
  return { ports, parked, cursor: () => stored };
}

describe('pageStep and nextPageSearch', () => {
  test('the next page starts at the cursor with room for the ids already queued there, which are dropped by id', () => {
    const cursor: PollCursor = { modTime: 1_000, seenIds: ['7', '8'], seenCount: 2 };
    const search = nextPageSearch(cursor, 3);
    expect(search).toMatchObject({ mod_time: 1_000, offset: 0, limit: 5 });
    const step = pageStep(cursor, search, [
      { id: 8, mod_time: 1_000 },
      { id: 9, mod_time: 1_000 },
      { id: 7, mod_time: 1_000 },
      { id: 10, mod_time: 1_001 },
      { id: 11, mod_time: 1_001 },
    ]);
    expect(step.fresh.map((r) => (r as Raw).id)).toEqual([9, 10, 11]);
    expect(step.next).toEqual({ modTime: 1_001, seenIds: ['10', '11'], seenCount: 2 });
    expect(step.last).toBe(false);
  });

  test('more detections in one millisecond than the cursor keeps ids for: offset past them', () => {
    const cursor: PollCursor = { modTime: 5, seenIds: [], seenCount: 6_000 };
    expect(nextPageSearch(cursor, 1_000)).toMatchObject({ mod_time: 5, offset: 6_000, limit: 1_000 });
    // Within the appliance's 20,000 limit or not: never above it.
    expect(nextPageSearch({ modTime: 5, seenIds: ['1'], seenCount: 1 }, 20_000)).toMatchObject({
      offset: 1,
      limit: 20_000,
    });
  });
});

describe('pollWindow', () => {
  test('property: any backlog, any page size, any number of polls: every detection queued exactly once, however ties are ordered', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 0, maxLength: 300 }),
        fc.integer({ min: 1, max: 25 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer(),
        async (modTimes, pageSize, maxPages, seed) => {
          const detections = modTimes.map((m, i) => ({ id: i + 1, mod_time: 1_000 + m }));
          const appliance = unstableAppliance(detections, seed);
          const queued: number[] = [];
          const { ports } = memoryPorts(appliance.search, queued);
          let polls = 0;
          for (;;) {
            polls += 1;
            const result = await pollWindow(ports, { pageSize, initialCursor: 0, maxPages });
            if (result.outcome !== 'incomplete') break;
            if (polls > 1_000) throw new Error('no progress');
          }
          expect([...queued].sort((a, b) => a - b)).toEqual(detections.map((d) => d.id));
          // Bounded: each full page queues at least pageSize new detections.
          expect(polls).toBeLessThanOrEqual(Math.ceil((detections.length + 1) / (pageSize * maxPages)) + 1);
        },
      ),
      { numRuns: 150 },
    );
  });

  test('the cursor is committed after every page: a failure on page 3 keeps pages 1 and 2 behind it', async () => {
    const detections = Array.from({ length: 10 }, (_, i) => ({ id: i + 1, mod_time: 1_000 + i }));
    const appliance = unstableAppliance(detections, 3);
    let calls = 0;
    const queued: number[] = [];
    const { ports, cursor } = memoryPorts(async (s) => {
      calls += 1;
      if (calls === 3) throw new Error('appliance down');
      return appliance.search(s);
    }, queued);
    await expect(pollWindow(ports, { pageSize: 2, initialCursor: 0 })).rejects.toThrow('appliance down');
    expect(cursor()).toMatchObject({ modTime: 1_003, seenIds: ['4'] });
    await pollWindow(ports, { pageSize: 2, initialCursor: 0 });
    expect(queued).toEqual(detections.map((d) => d.id));
  });

  test('a detection refused for good is parked and reported; the others are queued and the cursor moves past it', async () => {
    const detections = Array.from({ length: 5 }, (_, i) => ({ id: i + 1, mod_time: 2_000 + i }));
    const appliance = unstableAppliance(detections, 1);
    const queued: number[] = [];
    const { ports, parked, cursor } = memoryPorts(appliance.search, queued, (raw) =>
      raw.id === 3 ? 'BatchRequestTooLong: too big' : undefined,
    );
    const result = await pollWindow(ports, { pageSize: 2, initialCursor: 0 });
    expect(result).toMatchObject({ outcome: 'committed', cursor: 2_004, enqueued: 4 });
    expect(parked).toEqual([
      { id: '3', modTime: 2_002, bytes: expect.any(Number), reason: 'BatchRequestTooLong: too big' },
    ]);
    expect(result.parked).toEqual(parked);
    expect(queued).toEqual([1, 2, 4, 5]);
    expect(cursor()?.modTime).toBe(2_004);
  });

  test('a poll overtaken by another one stops at once and never moves the cursor back', async () => {
    const appliance = unstableAppliance([{ id: 1, mod_time: 10 }], 1);
    const queued: number[] = [];
    const { ports, cursor } = memoryPorts(appliance.search, queued);
    const commit = ports.commitCursor.bind(ports);
    ports.commitCursor = async (previous, next) => {
      await commit(previous, { modTime: 9_000, seenIds: [], seenCount: 0 });
      return commit(previous, next);
    };
    expect(await pollWindow(ports, { pageSize: 10, initialCursor: 0 })).toMatchObject({
      outcome: 'overtaken',
      cursor: 9_000,
    });
    expect(cursor()?.modTime).toBe(9_000);
  });

  test('property: time running out between any two chunks of any page: every detection queued exactly once, every poll moves', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 7 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 20 }),
        fc.integer(),
        async (modTimes, pageSize, enqueueChunk, clock, seed) => {
          const detections = modTimes.map((m, i) => ({ id: i + 1, mod_time: 1_000 + m }));
          const appliance = unstableAppliance(detections, seed);
          const queued: number[] = [];
          const { ports, cursor } = memoryPorts(appliance.search, queued);
          let tick = 0;
          ports.hasTimeFor = () => clock[tick++ % clock.length]!;
          for (let polls = 1; ; polls++) {
            const before = cursor();
            const result = await pollWindow(ports, { pageSize, initialCursor: 0, enqueueChunk });
            if (result.outcome !== 'incomplete') break;
            // However little time each poll has, its first chunk is queued and the cursor moves.
            expect(result.enqueued).toBeGreaterThan(0);
            expect(cursor()).not.toEqual(before);
            if (polls > 1_000) throw new Error('no progress');
          }
          expect([...queued].sort((a, b) => a - b)).toEqual(detections.map((d) => d.id));
        },
      ),
      { numRuns: 150 },
    );
  });

  test('out of time within a page: the cursor is committed after the last queued chunk and the next poll goes on from it', async () => {
    const detections = Array.from({ length: 10 }, (_, i) => ({ id: i + 1, mod_time: 1_000 + Math.floor(i / 2) }));
    const appliance = unstableAppliance(detections, 5);
    const queued: number[] = [];
    const { ports, cursor } = memoryPorts(appliance.search, queued);
    let checks = 0;
    // Time for the first chunk (never asked) and one more.
    ports.hasTimeFor = () => ++checks <= 1;
    const first = await pollWindow(ports, { pageSize: 10, initialCursor: 0, enqueueChunk: 3 });
    expect(first).toMatchObject({
      outcome: 'incomplete',
      pages: 1,
      enqueued: 6,
      reason: 'out of time within a page (6 of 10 queued)',
    });
    // Six oldest queued: 1,000 x2, 1,001 x2, 1,002 x2; the cursor names both at 1,002.
    expect(cursor()).toMatchObject({ modTime: 1_002, seenCount: 2 });
    expect([...queued].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
    ports.hasTimeFor = () => true;
    expect(await pollWindow(ports, { pageSize: 10, initialCursor: 0, enqueueChunk: 3 })).toMatchObject({
      outcome: 'committed',
      enqueued: 4,
      cursor: 1_004,
    });
    expect([...queued].sort((a, b) => a - b)).toEqual(detections.map((d) => d.id));
  });

  test('a page out of mod_time order is queued oldest first, so a partial cursor never skips an older detection', async () => {
    const detections = [5, 1, 4, 2, 3].map((m, i) => ({ id: i + 1, mod_time: 1_000 + m }));
    const queued: number[] = [];
    const { ports, cursor } = memoryPorts(
      async (s) => (s.offset === 0 ? detections.filter((d) => d.mod_time >= s.mod_time) : []),
      queued,
    );
    let checks = 0;
    ports.hasTimeFor = () => ++checks <= 0;
    await pollWindow(ports, { pageSize: 10, initialCursor: 0, enqueueChunk: 2 });
    expect(queued).toEqual([2, 4]);
    expect(cursor()).toMatchObject({ modTime: 1_002, seenIds: ['4'] });
  });

  test('a failure in a later chunk keeps the chunks before it behind the cursor', async () => {
    const detections = Array.from({ length: 9 }, (_, i) => ({ id: i + 1, mod_time: 1_000 + i }));
    const appliance = unstableAppliance(detections, 2);
    const queued: number[] = [];
    const { ports, cursor } = memoryPorts(appliance.search, queued);
    const enqueue = ports.enqueue.bind(ports);
    let calls = 0;
    ports.enqueue = async (raw) => {
      if (++calls === 3) throw new Error('queue unavailable');
      return enqueue(raw);
    };
    await expect(pollWindow(ports, { pageSize: 9, initialCursor: 0, enqueueChunk: 3 })).rejects.toThrow(
      'queue unavailable',
    );
    expect(cursor()).toMatchObject({ modTime: 1_005, seenIds: ['6'] });
    expect(await pollWindow(ports, { pageSize: 9, initialCursor: 0, enqueueChunk: 3 })).toMatchObject({
      outcome: 'committed',
      enqueued: 3,
    });
    expect(queued).toEqual(detections.map((d) => d.id));
  });
});
