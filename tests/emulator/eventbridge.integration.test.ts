import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterEach, describe, expect, test } from '@jest/globals';
import { startEmulator, type Emulator } from '../../local/emulator/index.ts';
import { PUT_EVENTS_MAX_ENTRIES, putAutotapEvents } from '../../src/aws/eventbridge.ts';
import type { AutotapEvent } from '../../src/mirroring/autotap-events.ts';
import { credentials, failure } from './fixture.ts';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function start() {
  emulator = await startEmulator({ eventBuses: ['autotap-bus'] });
  return {
    emulator,
    events: new EventBridgeClient({
      endpoint: emulator.endpoint,
      region: emulator.region,
      credentials,
      maxAttempts: 1,
    }),
  };
}

const entry = (n: number, extra: Record<string, unknown> = {}) => ({
  Source: 'autotap',
  DetailType: 'Mirror Session Created',
  Detail: JSON.stringify({ n }),
  ...extra,
});

describe('EventBridge PutEvents', () => {
  test('records valid entries on the named bus (default when none) and answers an EventId for each', async () => {
    const { emulator, events } = await start();
    const out = await events.send(
      new PutEventsCommand({
        Entries: [
          entry(1),
          entry(2, {
            EventBusName: 'autotap-bus',
            Resources: ['arn:aws:ec2:us-east-1:123456789012:network-interface/eni-1'],
          }),
        ],
      }),
    );
    expect(out.FailedEntryCount).toBe(0);
    expect(out.Entries).toHaveLength(2);
    for (const e of out.Entries!) expect(e.EventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(emulator.events().map((e) => [e.eventBusName, e.source, e.detailType, e.detail, e.resources])).toEqual([
      ['default', 'autotap', 'Mirror Session Created', { n: 1 }, []],
      [
        'autotap-bus',
        'autotap',
        'Mirror Session Created',
        { n: 2 },
        ['arn:aws:ec2:us-east-1:123456789012:network-interface/eni-1'],
      ],
    ]);
    expect(emulator.events()[0]!.eventId).toBe(out.Entries![0]!.EventId);
  });

  test('a bus given by ARN resolves to its name', async () => {
    const { emulator, events } = await start();
    await events.send(
      new PutEventsCommand({
        Entries: [entry(1, { EventBusName: 'arn:aws:events:us-east-1:123456789012:event-bus/autotap-bus' })],
      }),
    );
    expect(emulator.events().map((e) => e.eventBusName)).toEqual(['autotap-bus']);
  });

  test('invalid entries are reported per entry (missing Source or DetailType, Detail not a JSON object); the rest are accepted', async () => {
    const { emulator, events } = await start();
    const out = await events.send(
      new PutEventsCommand({
        Entries: [
          entry(1),
          { DetailType: 'x', Detail: '{}' },
          { Source: 'autotap', Detail: '{}' },
          entry(2, { Detail: '{not json' }),
          entry(3, { Detail: '[1]' }),
          entry(4, { Source: 'aws.ec2' }),
        ],
      }),
    );
    expect(out.FailedEntryCount).toBe(5);
    expect(out.Entries!.map((e) => e.ErrorCode ?? 'ok')).toEqual([
      'ok',
      'InvalidArgument',
      'InvalidArgument',
      'MalformedDetail',
      'MalformedDetail',
      'NotAuthorizedForSourceException',
    ]);
    expect(out.Entries![1]!.ErrorMessage).toContain('Source');
    expect(emulator.events()).toHaveLength(1);
  });

  test('more than 10 entries, or none, fail the call with ValidationException; an unknown bus with ResourceNotFoundException', async () => {
    const { emulator, events } = await start();
    const tooMany = await failure(
      events.send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, (_, i) => entry(i)) })),
    );
    expect(tooMany.name).toBe('ValidationException');
    expect(tooMany.$metadata?.httpStatusCode).toBe(400);
    expect((await failure(events.send(new PutEventsCommand({ Entries: [] })))).name).toBe('ValidationException');
    const unknown = await failure(
      events.send(new PutEventsCommand({ Entries: [entry(1), entry(2, { EventBusName: 'nope' })] })),
    );
    expect(unknown.name).toBe('ResourceNotFoundException');
    expect(unknown.message).toContain('nope');
    expect(emulator.events()).toEqual([]);
  });

  test('a request over 256 KB in total is refused', async () => {
    const { events } = await start();
    const big = JSON.stringify({ pad: 'x'.repeat(100 * 1024) });
    const error = await failure(
      events.send(
        new PutEventsCommand({
          Entries: [entry(1, { Detail: big }), entry(2, { Detail: big }), entry(3, { Detail: big })],
        }),
      ),
    );
    expect(error.name).toBe('ValidationException');
  });

  test('injected per-entry failures are counted in FailedEntryCount', async () => {
    const { emulator, events } = await start();
    emulator.failEventEntries(2, 'ThrottlingException');
    const out = await events.send(new PutEventsCommand({ Entries: [entry(1), entry(2), entry(3)] }));
    expect(out.FailedEntryCount).toBe(2);
    expect(out.Entries!.map((e) => e.ErrorCode ?? 'ok')).toEqual(['ThrottlingException', 'ThrottlingException', 'ok']);
    expect(emulator.events().map((e) => e.detail)).toEqual([{ n: 3 }]);
  });

  test('the call counts as a call, and server errors can be injected for it', async () => {
    const { emulator, events } = await start();
    emulator.setFaults({ serverErrors: { actions: ['PutEvents'], count: 1 } });
    expect((await failure(events.send(new PutEventsCommand({ Entries: [entry(1)] })))).$metadata?.httpStatusCode).toBe(
      500,
    );
    await events.send(new PutEventsCommand({ Entries: [entry(1)] }));
    expect(emulator.calls().PutEvents).toBe(2);
    expect(emulator.successfulCalls().PutEvents).toBe(1);
  });
});

describe('putAutotapEvents (src/aws/eventbridge.ts) against the emulator', () => {
  const autotapEvents = (count: number): AutotapEvent[] =>
    Array.from({ length: count }, (_, i) => ({
      source: 'autotap',
      detailType: 'Mirror Session Created',
      detail: { workflow: 'mirror-instances', instanceId: `i-${i}`, networkInterfaceId: `eni-${i}` },
    }));

  test('sends 23 events in calls of at most 10 entries, to the named bus', async () => {
    const { emulator, events } = await start();
    await putAutotapEvents(autotapEvents(23), { client: events, busName: 'autotap-bus', pauseMs: 1 });
    expect(emulator.calls().PutEvents).toBe(Math.ceil(23 / PUT_EVENTS_MAX_ENTRIES));
    expect(emulator.events().map((e) => (e.detail as { instanceId: string }).instanceId)).toEqual(
      Array.from({ length: 23 }, (_, i) => `i-${i}`),
    );
    expect(new Set(emulator.events().map((e) => e.eventBusName))).toEqual(new Set(['autotap-bus']));
  });

  test('splits by size as well as by count', async () => {
    const { emulator, events } = await start();
    const heavy = autotapEvents(4).map((e) => ({ ...e, detail: { ...e.detail, reason: 'x'.repeat(100 * 1024) } }));
    await putAutotapEvents(heavy, { client: events, pauseMs: 1 });
    expect(emulator.events()).toHaveLength(4);
    expect(emulator.calls().PutEvents).toBe(2);
  });

  test('entries reported failed are sent again, and only those', async () => {
    const { emulator, events } = await start();
    emulator.failEventEntries(3);
    await putAutotapEvents(autotapEvents(5), { client: events, pauseMs: 1 });
    expect(emulator.calls().PutEvents).toBe(2);
    expect(
      emulator
        .events()
        .map((e) => (e.detail as { instanceId: string }).instanceId)
        .sort(),
    ).toEqual(['i-0', 'i-1', 'i-2', 'i-3', 'i-4']);
  });

  test('entries that keep failing end in a ServiceUnavailable error after a bounded number of rounds', async () => {
    const { emulator, events } = await start();
    emulator.failEventEntries(1000);
    const error = await failure(putAutotapEvents(autotapEvents(2), { client: events, pauseMs: 1 }));
    expect(error.name).toBe('ServiceUnavailable');
    expect(error.message).toContain('2 of 2');
    expect(error.message).toContain('InternalFailure');
    expect(emulator.calls().PutEvents).toBe(4);
    expect(emulator.events()).toEqual([]);
  });

  test('no events, no call', async () => {
    const { emulator, events } = await start();
    await putAutotapEvents([], { client: events });
    expect(emulator.calls().PutEvents).toBeUndefined();
  });
});
