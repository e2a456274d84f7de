import { afterEach, describe, expect, test } from '@jest/globals';
import { handler as pollHandler, type PollOutput } from '../../functions/detections-poll.ts';
import { CURSOR_KEY } from '../../src/detections/ingest/keys.ts';
import { rawDetection } from './appliance-server.ts';
import { API_KEY, CLIENT_SECRET, captureOutput, lambdaContext, startFlow, type Flow } from './fixture.ts';

let flow: Flow | undefined;
afterEach(async () => {
  await flow?.close();
  flow = undefined;
});

const poll = (remainingMs = 60_000) => pollHandler({}, lambdaContext('detections-poll', remainingMs)) as Promise<PollOutput>;
const queuedIds = (f: Flow) => f.emulator.queueMessages('autotap-detections').map((m) => (JSON.parse(m.body) as { id: number }).id);
const cursor = (f: Flow) => f.table.readCursor(CURSOR_KEY);

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

describe('poll window', () => {
  test('pages with offsets until a short page, enqueues everything, then commits the largest mod_time', async () => {
    flow = await startFlow({ pageSize: 2 });
    flow.appliance.detections.push(...[1, 2, 3, 4, 5].map((i) => rawDetection(i, 1_000 + i)));
    const result = await poll();
    expect(result).toMatchObject({ outcome: 'committed', pages: 3, enqueued: 5, cursor: 1_005 });
    expect(flow.appliance.searches.map((s) => [s.offset, s.limit, s.mod_time])).toEqual([
      [0, 2, expect.any(Number)],
      [2, 2, expect.any(Number)],
      [4, 2, expect.any(Number)],
    ]);
    expect(flow.appliance.searches[0]).toMatchObject({ until: 0, sort: [{ field: 'mod_time', direction: 'asc' }], filter: { categories: ['sec'] } });
    expect(queuedIds(flow).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(await cursor(flow)).toBe(1_005);

    // The next window starts at the cursor: only the detection at the cursor and newer ones come back.
    flow.appliance.detections.push(rawDetection(6, 2_000));
    const next = await poll();
    expect(flow.appliance.searches.at(-1)?.mod_time).toBe(1_005);
    expect(next).toMatchObject({ outcome: 'committed', cursor: 2_000, enqueued: 2 });
  });

  test('a page boundary exactly at pageSize asks for one more (empty) page before committing', async () => {
    flow = await startFlow({ pageSize: 2 });
    flow.appliance.detections.push(rawDetection(1, 1_001), rawDetection(2, 1_002));
    expect(await poll()).toMatchObject({ outcome: 'committed', pages: 2, enqueued: 2, cursor: 1_002 });
  });

  test('the status filter includes ".none": open detections (status null) are not dropped', async () => {
    flow = await startFlow();
    flow.appliance.detections.push(rawDetection(1, 1_001, { status: null }), rawDetection(2, 1_002, { status: 'in_progress' }), rawDetection(3, 1_003, { status: 'closed' }));
    await poll();
    expect(flow.appliance.searches[0]?.filter.status).toEqual(expect.arrayContaining(['.none', 'new', 'in_progress', 'acknowledged', 'closed']));
    expect(queuedIds(flow).sort()).toEqual([1, 2, 3]);
  });

  test('out-of-order mod_time within pages: the cursor is the largest seen, not the last', async () => {
    flow = await startFlow({ pageSize: 3 });
    flow.appliance.shufflePages = true;
    flow.appliance.detections.push(...[1, 2, 3, 4].map((i) => rawDetection(i, 5_000 + i * 10)));
    const result = await poll();
    expect(result).toMatchObject({ outcome: 'committed', cursor: 5_040 });
    expect(await cursor(flow)).toBe(5_040);
  });

  test('the appliance failing on page 2: cursor unchanged, the next poll reads the window again and nothing is lost', async () => {
    flow = await startFlow({ pageSize: 2 });
    await flow.table.commitCursor(CURSOR_KEY, undefined, 1_000, Date.now());
    flow.appliance.detections.push(...[1, 2, 3, 4, 5].map((i) => rawDetection(i, 1_000 + i)));
    flow.appliance.onSearch = (n) => (n === 2 ? { status: 500, body: { error: 'database busy' } } : undefined);
    const error = await failure(poll());
    expect(error.name).toBe('ApplianceError');
    expect(error.message).toContain('HTTP 500');
    expect(await cursor(flow)).toBe(1_000);
    expect(queuedIds(flow)).toEqual([1, 2]);

    flow.appliance.onSearch = undefined;
    expect(await poll()).toMatchObject({ outcome: 'committed', cursor: 1_005, enqueued: 5 });
    expect(flow.appliance.searches.at(-3)?.mod_time).toBe(1_000);
    expect([...new Set(queuedIds(flow))].sort()).toEqual([1, 2, 3, 4, 5]);
  });

  test('SQS failing while page 2 is enqueued: cursor unchanged, the next poll re-reads', async () => {
    flow = await startFlow({ pageSize: 2 });
    flow.appliance.detections.push(...[1, 2, 3].map((i) => rawDetection(i, 1_000 + i)));
    const emulator = flow.emulator;
    flow.appliance.onSearch = (n) => {
      if (n === 2) emulator.setFaults({ serverErrors: { actions: ['SendMessageBatch'], rate: 1 } });
    };
    const error = await failure(poll());
    expect(error.name).toBe('QueueSendFailed');
    expect(await cursor(flow)).toBeUndefined();

    flow.appliance.onSearch = undefined;
    flow.emulator.setFaults({});
    expect(await poll()).toMatchObject({ outcome: 'committed', cursor: 1_003 });
    expect([...new Set(queuedIds(flow))].sort()).toEqual([1, 2, 3]);
  });

  test('a concurrent poll that committed a later cursor is never moved backwards', async () => {
    flow = await startFlow();
    await flow.table.commitCursor(CURSOR_KEY, undefined, 1_000, Date.now());
    flow.appliance.detections.push(rawDetection(1, 1_500));
    const table = flow.table;
    flow.appliance.onSearch = async () => {
      await table.commitCursor(CURSOR_KEY, 1_000, 9_000, Date.now());
    };
    expect(await poll()).toMatchObject({ outcome: 'overtaken', cursor: 9_000 });
    expect(await cursor(flow)).toBe(9_000);
  });

  test('a response that is not an array is an error naming the problem; the cursor stays', async () => {
    flow = await startFlow();
    flow.appliance.onSearch = () => ({ status: 200, body: { detections: [] } });
    const error = await failure(poll());
    expect(error.message).toContain('expected a JSON array of detections, got an object with keys detections');
    expect(await cursor(flow)).toBeUndefined();
  });
});

describe('appliance auth and rate limits', () => {
  test('API key: header "ExtraHop apikey=<key>"; a wrong key is a 401 error that does not contain the key', async () => {
    flow = await startFlow({ appliance: { apiKey: 'another-key' } });
    const { result: error, output } = await captureOutput(() => failure(poll()));
    expect(flow.appliance.authorizations).toEqual([`ExtraHop apikey=${API_KEY}`]);
    expect(error.message).toContain('HTTP 401');
    expect(error.message).not.toContain(API_KEY);
    expect(output).toContain('invocation failed');
    expect(output).not.toContain(API_KEY);
    expect(await cursor(flow)).toBeUndefined();
  });

  test('OAuth: one token for several polls, a new one after a 401, secrets never logged', async () => {
    flow = await startFlow({ auth: 'oauth' });
    flow.appliance.detections.push(rawDetection(1, 1_001));
    const { output } = await captureOutput(async () => {
      await poll();
      await poll();
      expect(flow!.appliance.tokenRequests).toBe(1);
      flow!.appliance.revokeTokens();
      await poll();
    });
    expect(flow.appliance.tokenRequests).toBe(2);
    expect(flow.appliance.authorizations).toEqual(['Bearer token-1', 'Bearer token-1', 'Bearer token-1', 'Bearer token-2']);
    expect(output).toContain('poll window done');
    for (const secret of [CLIENT_SECRET, 'token-1', 'token-2', Buffer.from(`autotap-client:${CLIENT_SECRET}`).toString('base64')]) {
      expect(output).not.toContain(secret);
    }
  });

  test('OAuth: a token refused twice is an error, not a loop', async () => {
    flow = await startFlow({ auth: 'oauth' });
    flow.appliance.onSearch = () => ({ status: 401, body: { error: 'Unauthorized' } });
    const error = await failure(poll());
    expect(error.message).toContain('HTTP 401');
    expect(flow.appliance.tokenRequests).toBe(2);
    expect(flow.appliance.searches).toHaveLength(2);
  });

  test('429 with a short Retry-After is waited out and the window completes', async () => {
    flow = await startFlow();
    flow.appliance.detections.push(rawDetection(1, 1_001));
    flow.appliance.onSearch = (n) => (n === 1 ? { status: 429, headers: { 'retry-after': '1' } } : undefined);
    const started = Date.now();
    expect(await poll()).toMatchObject({ outcome: 'committed', cursor: 1_001 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  test('429 with a Retry-After beyond the budget stops the window without committing', async () => {
    flow = await startFlow({ pageSize: 1 });
    flow.appliance.detections.push(rawDetection(1, 1_001), rawDetection(2, 1_002));
    flow.appliance.onSearch = (n) => (n === 2 ? { status: 429, headers: { 'retry-after': '120' } } : undefined);
    const started = Date.now();
    expect(await poll()).toMatchObject({ outcome: 'rate-limited' });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await cursor(flow)).toBeUndefined();
    // A short wait that does not fit the remaining time stops as well.
    flow.appliance.onSearch = () => ({ status: 429, headers: { 'retry-after': '3' } });
    expect(await poll(6_000)).toMatchObject({ outcome: 'rate-limited' });
  });
});
