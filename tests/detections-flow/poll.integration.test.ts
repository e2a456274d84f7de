import { metricTotals } from '../../local/cloudwatch/embedded-metrics.ts';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, test } from '@jest/globals';
import { POLL_RESERVE_MS, handler as pollHandler } from '../../functions/detections-poll.ts';
import { CURSOR_KEY } from '../../src/detections/ingest/keys.ts';
import { rawDetection } from './appliance-server.ts';
import { API_KEY, CLIENT_SECRET, captureOutput, lambdaContext, startFlow, type Flow } from './fixture.ts';

let flow: Flow | undefined;
afterEach(async () => {
  await flow?.close();
  flow = undefined;
});

const poll = (remainingMs = 60_000) => pollHandler({}, lambdaContext('detections-poll', remainingMs));
const queuedIds = (f: Flow) =>
  f.emulator.queueMessages('autotap-detections').map((m) => (JSON.parse(m.body) as { id: number }).id);
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
  test('pages from the cursor, commits after every page, and each page starts where the last committed one ended', async () => {
    flow = await startFlow({ pageSize: 2 });
    flow.appliance.detections.push(...[1, 2, 3, 4, 5].map((i) => rawDetection(i, 1_000 + i)));
    const result = await poll();
    expect(result).toMatchObject({ outcome: 'committed', pages: 3, enqueued: 5, cursor: 1_005 });
    // Page 2 and 3 search from the committed cursor, with room for the one detection already queued at it.
    expect(flow.appliance.searches.map((s) => [s.mod_time, s.offset, s.limit])).toEqual([
      [expect.any(Number), 0, 2],
      [1_002, 0, 3],
      [1_004, 0, 3],
    ]);
    expect(flow.appliance.searches[0]).toMatchObject({
      until: 0,
      sort: [{ field: 'mod_time', direction: 'asc' }],
      filter: { categories: ['sec'] },
    });
    expect(queuedIds(flow)).toEqual([1, 2, 3, 4, 5]);
    expect(await cursor(flow)).toMatchObject({ modTime: 1_005, seenIds: ['5'], seenCount: 1 });

    // The next window starts at the cursor; the detection already queued there is not queued again.
    flow.appliance.detections.push(rawDetection(6, 2_000));
    const next = await poll();
    expect(flow.appliance.searches.at(-1)?.mod_time).toBe(1_005);
    expect(next).toMatchObject({ outcome: 'committed', cursor: 2_000, enqueued: 1 });
    expect(queuedIds(flow)).toEqual([1, 2, 3, 4, 5, 6]);
    // Each window's metrics, as its log holds them: what it queued, and the age of the newest it saw.
    const totals = Object.fromEntries(metricTotals(flow.metrics()).map((m) => [m.metric, m]));
    expect(totals['DetectionsReceived{Source=poll}']).toMatchObject({ sum: 6, samples: 2 });
    const lag = flow.metrics().filter((m) => m.name === 'PollLagSeconds' && m.dimensions.Source === undefined);
    expect(lag.map((m) => m.values.length)).toEqual([1, 1]);
    // mod_time 2,000 ms after the epoch: the lag is about now, in seconds.
    expect(lag[1]!.values[0]).toBeCloseTo(Date.now() / 1000 - 2, -1);
  });

  test('a page boundary exactly at pageSize asks for one more page, which brings nothing new', async () => {
    flow = await startFlow({ pageSize: 2 });
    flow.appliance.detections.push(rawDetection(1, 1_001), rawDetection(2, 1_002));
    expect(await poll()).toMatchObject({ outcome: 'committed', pages: 2, enqueued: 2, cursor: 1_002 });
    expect(await poll()).toMatchObject({ outcome: 'unchanged', pages: 1, enqueued: 0, cursor: 1_002 });
  });

  test('the status filter includes ".none": open detections (status null) are not dropped', async () => {
    flow = await startFlow();
    flow.appliance.detections.push(
      rawDetection(1, 1_001, { status: null }),
      rawDetection(2, 1_002, { status: 'in_progress' }),
      rawDetection(3, 1_003, { status: 'closed' }),
    );
    await poll();
    expect(flow.appliance.searches[0]?.filter.status).toEqual(
      expect.arrayContaining(['.none', 'new', 'in_progress', 'acknowledged', 'closed']),
    );
    expect(queuedIds(flow).sort()).toEqual([1, 2, 3]);
  });

  test('out-of-order mod_time within pages: the cursor is the largest seen, not the last', async () => {
    flow = await startFlow({ pageSize: 3 });
    flow.appliance.shufflePages = true;
    flow.appliance.detections.push(...[1, 2, 3, 4].map((i) => rawDetection(i, 5_000 + i * 10)));
    const result = await poll();
    expect(result).toMatchObject({ outcome: 'committed', cursor: 5_040 });
    expect((await cursor(flow))?.modTime).toBe(5_040);
    expect(queuedIds(flow).sort()).toEqual([1, 2, 3, 4]);
  });

  test('1,050 detections at page size 10: the first poll stops at 100 pages with the cursor moved, the second finishes; nothing twice', async () => {
    flow = await startFlow({ pageSize: 10 });
    flow.appliance.detections.push(...Array.from({ length: 1_050 }, (_, i) => rawDetection(i + 1, 10_000 + i)));
    expect(await poll()).toMatchObject({ outcome: 'incomplete', enqueued: 1_000, cursor: 10_999 });
    expect(queuedIds(flow)).toHaveLength(1_000);
    expect(await poll()).toMatchObject({ outcome: 'committed', enqueued: 50, cursor: 11_049 });
    expect(await poll()).toMatchObject({ outcome: 'unchanged', enqueued: 0 });
    const ids = queuedIds(flow);
    expect(ids).toHaveLength(1_050);
    expect(new Set(ids).size).toBe(1_050);
  }, 60_000);

  test('a page of 20,000 on a slow queue: each poll queues what its time allows, commits there, and the next goes on; nothing lost or doubled', async () => {
    flow = await startFlow({ pageSize: 20_000 });
    flow.appliance.detections.push(...Array.from({ length: 20_000 }, (_, i) => rawDetection(i + 1, 100_000 + i)));
    // Every SendMessageBatch takes 15 ms more: 2,000 of them are 3 s at 10 in flight, and each poll has 1 s.
    flow.emulator.setFaults({ latencyMs: 15 });
    const outcomes: string[] = [];
    for (let polls = 0; polls < 40; polls++) {
      const deadline = Date.now() + POLL_RESERVE_MS + 1_000;
      const context = { ...lambdaContext('detections-poll'), getRemainingTimeInMillis: () => deadline - Date.now() };
      // Each stop is logged as a WARN: kept out of the test output, and checked to say why it stopped.
      const { result, output } = await captureOutput(() => pollHandler({}, context));
      outcomes.push(result.outcome);
      if (result.outcome === 'incomplete') expect(output).toContain('out of time within a page');
      if (result.outcome !== 'incomplete') break;
      expect(result).toMatchObject({ pages: 1, reason: expect.stringMatching(/^out of time within a page/) });
      // Stopped between two chunks: the cursor is the last queued detection's mod_time.
      expect(result.enqueued % 1_000).toBe(0);
      expect(await cursor(flow)).toMatchObject({ modTime: 100_000 + (queuedIds(flow).length - 1), seenCount: 1 });
    }
    expect(outcomes.length).toBeGreaterThan(1);
    expect(outcomes.at(-1)).toBe('committed');
    const ids = queuedIds(flow);
    expect(ids).toHaveLength(20_000);
    expect(new Set(ids).size).toBe(20_000);
    expect((await cursor(flow))?.modTime).toBe(119_999);
  }, 120_000);

  test('detections sharing a mod_time across page boundaries, ordered differently on every search: none lost, none doubled', async () => {
    flow = await startFlow({ pageSize: 4 });
    flow.appliance.detections.push(
      rawDetection(1, 1_000),
      ...Array.from({ length: 11 }, (_, i) => rawDetection(i + 2, 2_000)),
      rawDetection(13, 3_000),
    );
    let flip = false;
    flow.appliance.onSearch = () => {
      // The appliance promises no order among equal mod_times: reverse them on every other search.
      flip = !flip;
      flow!.appliance.detections.sort(
        (a, b) =>
          (a.mod_time as number) - (b.mod_time as number) ||
          (flip ? (b.id as number) - (a.id as number) : (a.id as number) - (b.id as number)),
      );
    };
    expect(await poll()).toMatchObject({ outcome: 'committed', enqueued: 13, cursor: 3_000 });
    expect(queuedIds(flow).sort((a, b) => a - b)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
  });

  test('the appliance failing on page 3: the cursor keeps pages 1 and 2, the next poll goes on from there', async () => {
    flow = await startFlow({ pageSize: 2 });
    flow.appliance.detections.push(...[1, 2, 3, 4, 5, 6].map((i) => rawDetection(i, 1_000 + i)));
    flow.appliance.onSearch = (n) => (n === 3 ? { status: 500, body: { error: 'database busy' } } : undefined);
    const error = await failure(poll());
    expect(error.name).toBe('ApplianceError');
    expect(error.message).toContain('HTTP 500');
    expect((await cursor(flow))?.modTime).toBe(1_004);
    expect(queuedIds(flow)).toEqual([1, 2, 3, 4]);

    flow.appliance.onSearch = undefined;
    expect(await poll()).toMatchObject({ outcome: 'committed', cursor: 1_006, enqueued: 2 });
    expect(flow.appliance.searches.at(-2)?.mod_time).toBe(1_004);
    expect(queuedIds(flow)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test('SQS failing while page 2 is enqueued: the cursor keeps page 1, the next poll re-reads only page 2', async () => {
    flow = await startFlow({ pageSize: 2 });
    flow.appliance.detections.push(...[1, 2, 3].map((i) => rawDetection(i, 1_000 + i)));
    const emulator = flow.emulator;
    flow.appliance.onSearch = (n) => {
      if (n === 2) emulator.setFaults({ serverErrors: { actions: ['SendMessageBatch'], rate: 1 } });
    };
    const error = await failure(poll());
    expect(error.name).toBe('QueueSendFailed');
    expect((await cursor(flow))?.modTime).toBe(1_002);

    flow.appliance.onSearch = undefined;
    flow.emulator.setFaults({});
    expect(await poll()).toMatchObject({ outcome: 'committed', cursor: 1_003, enqueued: 1 });
    expect(queuedIds(flow)).toEqual([1, 2, 3]);
  });

  test('a detection too large for SQS is parked and reported to ops; the rest are queued and the cursor moves past it', async () => {
    flow = await startFlow({ pageSize: 3 });
    const huge = rawDetection(2, 1_002, { description: 'x'.repeat(1_100_000) });
    flow.appliance.detections.push(rawDetection(1, 1_001), huge, rawDetection(3, 1_003), rawDetection(4, 1_004));
    const result = await poll();
    expect(result).toMatchObject({
      outcome: 'committed',
      cursor: 1_004,
      enqueued: 3,
      parked: [{ id: '2', modTime: 1_002 }],
    });
    expect(result.outcome === 'committed' && result.parked[0]?.reason).toContain('BatchRequestTooLong');
    expect(queuedIds(flow).sort((a, b) => a - b)).toEqual([1, 3, 4]);
    const ops = flow.published('ops');
    expect(ops).toHaveLength(1);
    expect(ops[0]?.subject).toBe('autotap: 1 detection(s) parked');
    expect(ops[0]?.message).toContain('detection 2 (mod_time 1002): refused by the detections queue');
    expect(ops[0]?.message).toContain(`${flow.appliance.url}/extrahop/#/detections/detail/2`);
    // The next poll does not stumble on it again.
    expect(await poll()).toMatchObject({ outcome: 'unchanged', parked: [] });
  });

  test('a detection holding characters SQS refuses in a body (U+FFFF) is queued escaped, not parked', async () => {
    flow = await startFlow();
    flow.appliance.detections.push(
      rawDetection(1, 1_001, {
        title: 'odd \uFFFF title',
        participants: [{ role: 'offender', object_type: 'device', hostname: 'h\uFFFE' }],
      }),
    );
    expect(await poll()).toMatchObject({ outcome: 'committed', enqueued: 1, parked: [] });
    const [message] = flow.emulator.queueMessages('autotap-detections');
    expect((JSON.parse(message!.body) as { title: string }).title).toBe('odd \uFFFF title');
  });

  test('a concurrent poll that committed a later cursor is never moved backwards', async () => {
    flow = await startFlow();
    await flow.table.commitCursor(CURSOR_KEY, undefined, { modTime: 1_000, seenIds: [], seenCount: 0 }, Date.now());
    flow.appliance.detections.push(rawDetection(1, 1_500));
    const table = flow.table;
    flow.appliance.onSearch = async () => {
      await table.commitCursor(
        CURSOR_KEY,
        await table.readCursor(CURSOR_KEY),
        { modTime: 9_000, seenIds: [], seenCount: 0 },
        Date.now(),
      );
    };
    expect(await poll()).toMatchObject({ outcome: 'overtaken', cursor: 9_000 });
    expect((await cursor(flow))?.modTime).toBe(9_000);
  });

  test('a cursor item written before per-page progress (only `cursor`) is read and moved on', async () => {
    flow = await startFlow();
    const dynamo = new DynamoDBClient({
      endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIATEST', secretAccessKey: 'secret' },
    });
    await dynamo.send(
      new PutItemCommand({
        TableName: flow.table.tableName,
        Item: { pk: { S: CURSOR_KEY }, cursor: { N: '1000' }, committedAt: { N: '1' } },
      }),
    );
    dynamo.destroy();
    flow.appliance.detections.push(rawDetection(1, 1_500));
    expect(await poll()).toMatchObject({ outcome: 'committed', from: 1_000, cursor: 1_500 });
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
    expect(flow.appliance.authorizations).toEqual([
      'Bearer token-1',
      'Bearer token-1',
      'Bearer token-1',
      'Bearer token-2',
    ]);
    expect(output).toContain('poll window done');
    for (const secret of [
      CLIENT_SECRET,
      'token-1',
      'token-2',
      Buffer.from(`autotap-client:${CLIENT_SECRET}`).toString('base64'),
    ]) {
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
    expect((await cursor(flow))?.modTime).toBe(1_001);
    // A short wait that does not fit the remaining time stops as well.
    flow.appliance.onSearch = () => ({ status: 429, headers: { 'retry-after': '3' } });
    expect(await poll(6_000)).toMatchObject({ outcome: 'rate-limited' });
  });
});
