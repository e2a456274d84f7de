import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { metricTotals } from '../../local/cloudwatch/embedded-metrics.ts';
import { rawDetection, type RawDetection } from './appliance-server.ts';
import { startFlow, TOPICS, type Flow } from './fixture.ts';

let flow: Flow | undefined;
afterEach(async () => {
  await flow?.close();
  flow = undefined;
});

async function enqueue(f: Flow, ...bodies: (RawDetection | string)[]): Promise<void> {
  for (const body of bodies) {
    await f.sqs.send(
      new SendMessageCommand({
        QueueUrl: f.queueUrl,
        MessageBody: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    );
  }
}

const events = (f: Flow, topic: 'detections' | 'email') =>
  f.published(topic).map((m) => m.messageAttributes.event?.value);
const slackMessages = (f: Flow) =>
  f.emulator
    .queueMessages('autotap-slack')
    .map((m) => JSON.parse(m.body) as { event: string; detection: { id: string } });

describe('update semantics through the processor', () => {
  test('new -> notified once; the same update again -> nothing', async () => {
    flow = await startFlow();
    await enqueue(flow, rawDetection(42, 1_000, { risk_score: 60 }));
    const [first] = await flow.drain();
    expect(first?.batchItemFailures).toEqual([]);
    expect(events(flow, 'detections')).toEqual(['new']);
    expect(events(flow, 'email')).toEqual(['new']);
    expect(slackMessages(flow).map((m) => [m.event, m.detection.id])).toEqual([['new', '42']]);

    const detectionMessage = flow.published('detections')[0]!;
    expect(detectionMessage.messageAttributes).toEqual({
      riskScore: { dataType: 'Number', value: '60' },
      severity: { dataType: 'String', value: 'medium' },
      category: { dataType: 'String', value: 'sec' },
      type: { dataType: 'String', value: 'rdp_brute_force' },
      event: { dataType: 'String', value: 'new' },
    });
    expect(JSON.parse(detectionMessage.message)).toMatchObject({
      schema: 'autotap.detection/1',
      event: 'new',
      detection: { id: '42', modTime: 1_000 },
    });
    expect(flow.published('email')[0]?.subject).toMatch(/RDP brute force 42/);

    await enqueue(flow, rawDetection(42, 1_000, { risk_score: 60 }));
    await flow.drain();
    expect(flow.emulator.published()).toHaveLength(2);
    expect(slackMessages(flow)).toHaveLength(1);
    const stored = await flow.table.load('detection#default#42');
    expect(stored?.outbox).toBeUndefined();
    expect(stored?.record).toMatchObject({ id: '42', modTime: 1_000, lastNotified: { event: 'new', riskScore: 60 } });
  });

  test('a minor update is recorded and goes to the detections topic only; an escalation notifies', async () => {
    flow = await startFlow();
    await enqueue(flow, rawDetection(7, 1_000, { risk_score: 40 }));
    await flow.drain();
    await enqueue(flow, rawDetection(7, 2_000, { risk_score: 45, assignee: 'sam' }));
    await flow.drain();
    expect(events(flow, 'detections')).toEqual(['new', 'updated']);
    expect(events(flow, 'email')).toEqual(['new']);
    await enqueue(flow, rawDetection(7, 3_000, { risk_score: 85 }));
    await flow.drain();
    expect(events(flow, 'detections')).toEqual(['new', 'updated', 'escalated']);
    expect(events(flow, 'email')).toEqual(['new', 'escalated']);
    expect(slackMessages(flow).map((m) => m.event)).toEqual(['new', 'escalated']);
  });

  test('below minRiskScore: recorded and published for machines, nobody is told', async () => {
    flow = await startFlow();
    await enqueue(flow, rawDetection(8, 1_000, { risk_score: 10 }));
    await flow.drain();
    expect(events(flow, 'detections')).toEqual(['new']);
    expect(flow.published('email')).toEqual([]);
    expect(slackMessages(flow)).toEqual([]);
  });

  test.each([
    [false, ['new']],
    [true, ['new', 'closed']],
  ])('closed with notifyOnClose %s', async (notifyOnClose, emailEvents) => {
    flow = await startFlow({ notifyOnClose });
    await enqueue(flow, rawDetection(9, 1_000));
    await flow.drain();
    await enqueue(flow, rawDetection(9, 2_000, { status: 'closed', resolution: 'action_taken' }));
    await flow.drain();
    expect(events(flow, 'detections')).toEqual(['new', 'closed']);
    expect(events(flow, 'email')).toEqual(emailEvents);
  });

  test('an older update arriving late is stale: nothing published, the record keeps the newer one', async () => {
    flow = await startFlow();
    await enqueue(flow, rawDetection(10, 2_000));
    await flow.drain();
    await enqueue(flow, rawDetection(10, 1_000, { risk_score: 99 }));
    await flow.drain();
    expect(flow.emulator.published()).toHaveLength(2);
    expect((await flow.table.load('detection#default#10'))?.record.modTime).toBe(2_000);
  });

  test('two updates of one detection in the same batch are decided in order', async () => {
    flow = await startFlow();
    await enqueue(flow, rawDetection(11, 1_000, { risk_score: 40 }), rawDetection(11, 2_000, { risk_score: 90 }));
    await flow.drain();
    expect(events(flow, 'detections')).toEqual(['new', 'escalated']);
    expect(events(flow, 'email')).toEqual(['new', 'escalated']);
  });
});

describe('several updates of one detection in one batch', () => {
  const record = (messageId: string, detection: RawDetection) => ({ messageId, body: JSON.stringify(detection) });
  // The detections topic carries the detection as JSON; an e-mail names it in its subject.
  const isOf = (topic: 'detections' | 'email', id: string) => (m: { message: string; subject?: string }) =>
    topic === 'detections'
      ? (JSON.parse(m.message) as { detection: { id: string } }).detection.id === id
      : new RegExp(` ${id}\\b`).test(m.subject ?? '');
  const eventsOf = (f: Flow, topic: 'detections' | 'email', id: string) =>
    f
      .published(topic)
      .filter(isOf(topic, id))
      .map((m) => m.messageAttributes.event?.value);

  test('two updates of one detection among others: one invocation, no batch item failures, each update told in order', async () => {
    flow = await startFlow();
    flow.emulator.resetCalls();
    const response = await flow.runProcessor({
      Records: [
        record('a', rawDetection(11, 1_000, { risk_score: 40 })),
        record('b', rawDetection(12, 1_000, { risk_score: 60 })),
        record('c', rawDetection(11, 2_000, { risk_score: 90 })),
        record('d', rawDetection(13, 1_000, { risk_score: 10 })),
      ],
    } as never);
    expect(response.batchItemFailures).toEqual([]);
    expect(eventsOf(flow, 'detections', '11')).toEqual(['new', 'escalated']);
    expect(eventsOf(flow, 'email', '11')).toEqual(['new', 'escalated']);
    expect(events(flow, 'detections')).toEqual(['new', 'new', 'new', 'escalated']);
    expect(events(flow, 'email')).toEqual(['new', 'new', 'escalated']);
    expect(slackMessages(flow).map((m) => [m.event, m.detection.id])).toEqual([
      ['new', '11'],
      ['new', '12'],
      ['escalated', '11'],
    ]);
    // Two rounds, each with one PublishBatch call per topic.
    expect(flow.emulator.calls().PublishBatch).toBe(4);
    const stored = await flow.table.load('detection#default#11');
    expect(stored?.outbox).toBeUndefined();
    expect(stored?.record).toMatchObject({ modTime: 2_000, lastNotified: { event: 'escalated', riskScore: 90 } });
  });

  test('three updates of one detection, out of order with the others: three rounds in one invocation', async () => {
    flow = await startFlow({ notifyOnClose: true });
    const response = await flow.runProcessor({
      Records: [
        record('a', rawDetection(20, 1_000, { risk_score: 40 })),
        record('b', rawDetection(21, 1_000, { risk_score: 60 })),
        record('c', rawDetection(20, 2_000, { risk_score: 90 })),
        record('d', rawDetection(22, 1_000, { risk_score: 70 })),
        record('e', rawDetection(21, 2_000, { risk_score: 62, assignee: 'sam' })),
        record('f', rawDetection(20, 3_000, { risk_score: 90, status: 'closed', resolution: 'action_taken' })),
      ],
    } as never);
    expect(response.batchItemFailures).toEqual([]);
    expect(eventsOf(flow, 'detections', '20')).toEqual(['new', 'escalated', 'closed']);
    expect(eventsOf(flow, 'email', '20')).toEqual(['new', 'escalated', 'closed']);
    expect(eventsOf(flow, 'detections', '21')).toEqual(['new', 'updated']);
    expect(eventsOf(flow, 'email', '21')).toEqual(['new']);
    expect(eventsOf(flow, 'detections', '22')).toEqual(['new']);
    expect(
      slackMessages(flow)
        .filter((m) => m.detection.id === '20')
        .map((m) => m.event),
    ).toEqual(['new', 'escalated', 'closed']);
    for (const id of ['20', '21', '22'])
      expect((await flow.table.load(`detection#default#${id}`))?.outbox).toBeUndefined();
    expect((await flow.table.load('detection#default#20'))?.record.modTime).toBe(3_000);
  });

  test('one message per detection is one round: the PublishBatch calls are those of the batch alone', async () => {
    flow = await startFlow();
    flow.emulator.resetCalls();
    const response = await flow.runProcessor({
      Records: Array.from({ length: 12 }, (_, i) => record(`m${i}`, rawDetection(100 + i, 1_000, { risk_score: 60 }))),
    } as never);
    expect(response.batchItemFailures).toEqual([]);
    // 12 entries per topic: 10 + 2, as without rounds.
    expect(flow.emulator.calls().PublishBatch).toBe(4);
    expect(flow.published('detections')).toHaveLength(12);
    expect(flow.published('email')).toHaveLength(12);
  });

  test('a round with nothing to send publishes nothing: the same update twice in a batch is told once', async () => {
    flow = await startFlow();
    flow.emulator.resetCalls();
    const response = await flow.runProcessor({
      Records: [
        record('a', rawDetection(30, 1_000)),
        record('b', rawDetection(31, 1_000)),
        record('c', rawDetection(30, 1_000)),
      ],
    } as never);
    expect(response.batchItemFailures).toEqual([]);
    expect(flow.emulator.calls().PublishBatch).toBe(2);
    expect(eventsOf(flow, 'email', '30')).toEqual(['new']);
    expect(slackMessages(flow).filter((m) => m.detection.id === '30')).toHaveLength(1);
  });

  test('an earlier update still owed to a channel goes first and the later one is decided in the next round', async () => {
    flow = await startFlow();
    flow.emulator.setFaults({ serverErrors: { actions: ['PublishBatch'], rate: 1 } });
    const first = await flow.runProcessor({
      Records: [
        record('owner', rawDetection(40, 1_000, { risk_score: 60 })),
        record('later', rawDetection(40, 2_000, { risk_score: 95 })),
      ],
    } as never);
    // The first update's outbox stays for its redelivery; the later update may not pass it.
    expect(first.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['later', 'owner']);
    flow.emulator.setFaults({});
    expect(flow.emulator.published()).toEqual([]);

    // Its owner gone (the lease is over), the later update's redelivery sends it, then its own.
    const owed = (await flow.table.load('detection#default#40'))?.outbox;
    expect(owed).toMatchObject({ modTime: 1_000, claimedBy: 'owner', sent: ['slack'] });
    expect(await flow.table.replaceOutbox('detection#default#40', owed!.token, { ...owed!, claimedUntil: 0 })).toBe(
      true,
    );
    const second = await flow.runProcessor({
      Records: [record('later', rawDetection(40, 2_000, { risk_score: 95 }))],
    } as never);
    expect(second.batchItemFailures).toEqual([]);
    expect(events(flow, 'detections')).toEqual(['new', 'escalated']);
    expect(events(flow, 'email')).toEqual(['new', 'escalated']);
    expect(slackMessages(flow).map((m) => m.event)).toEqual(['new', 'escalated']);
    expect((await flow.table.load('detection#default#40'))?.outbox).toBeUndefined();

    // The owner's redelivery finds a newer record: nothing more is told.
    const third = await flow.runProcessor({
      Records: [record('owner', rawDetection(40, 1_000, { risk_score: 60 }))],
    } as never);
    expect(third.batchItemFailures).toEqual([]);
    expect(flow.published('email')).toHaveLength(2);
  });
});

describe('delivery guarantees', () => {
  test('the same update delivered twice concurrently (poll and push) is notified once', async () => {
    flow = await startFlow();
    await enqueue(flow, rawDetection(77, 5_000), rawDetection(77, 5_000));
    const event = await flow.receive(10);
    expect(event.Records).toHaveLength(2);
    // Two Lambda invocations at once, one message each.
    const responses = await Promise.all(event.Records.map((record) => flow!.runProcessor({ Records: [record] })));
    expect(responses.flatMap((r) => r.batchItemFailures)).toEqual([]);
    expect(flow.published('email')).toHaveLength(1);
    expect(flow.published('detections')).toHaveLength(1);
    expect(slackMessages(flow)).toHaveLength(1);
  });

  test('many concurrent deliveries of one update still notify once', async () => {
    flow = await startFlow();
    const records = Array.from({ length: 6 }, (_, i) => ({
      messageId: `m-${i}`,
      body: JSON.stringify(rawDetection(78, 5_000)),
    }));
    const responses = await Promise.all(records.map((r) => flow!.runProcessor({ Records: [r] } as never)));
    expect(flow.published('email')).toHaveLength(1);
    // A delivery that kept losing the race is retried, never published twice.
    for (const r of responses)
      for (const f of r.batchItemFailures)
        await flow.runProcessor({ Records: [records.find((x) => x.messageId === f.itemIdentifier)!] } as never);
    expect(flow.published('email')).toHaveLength(1);
  });

  test('SNS failing for a while: reported in batchItemFailures, delivered on redelivery, exactly one notification', async () => {
    flow = await startFlow();
    flow.emulator.setFaults({ serverErrors: { actions: ['PublishBatch'], rate: 1 } });
    await enqueue(flow, rawDetection(50, 1_000), rawDetection(51, 1_000, { risk_score: 10 }));
    const first = await flow.processOnce();
    expect(first.response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(
      first.event.Records.map((r) => r.messageId).sort(),
    );
    expect(flow.emulator.published()).toEqual([]);
    // The record is written with its outbox (Slack, a queue, already has it): a redelivery must not
    // decide "duplicate" and drop the rest.
    expect((await flow.table.load('detection#default#50'))?.outbox).toMatchObject({
      modTime: 1_000,
      notify: true,
      sent: ['slack'],
    });

    const second = await flow.processOnce();
    expect(second.response.batchItemFailures).toHaveLength(2);
    flow.emulator.setFaults({});
    await flow.drain();
    expect(flow.emulator.queueMessages('autotap-detections')).toEqual([]);
    expect(events(flow, 'email')).toEqual(['new']);
    expect(
      flow
        .published('detections')
        .map((m) => (JSON.parse(m.message) as { detection: { id: string } }).detection.id)
        .sort(),
    ).toEqual(['50', '51']);
    expect(slackMessages(flow)).toHaveLength(1);
    expect((await flow.table.load('detection#default#50'))?.outbox).toBeUndefined();
  });

  test('one channel failing: the redelivery sends only what is missing', async () => {
    flow = await startFlow({ withoutTopics: ['email'] });
    await enqueue(flow, rawDetection(60, 1_000));
    const first = await flow.processOnce();
    expect(first.response.batchItemFailures).toHaveLength(1);
    expect(events(flow, 'detections')).toEqual(['new']);
    expect((await flow.table.load('detection#default#60'))?.outbox?.sent).toEqual(['detections', 'slack']);

    flow.emulator.createTopic(TOPICS.email);
    await flow.drain();
    expect(events(flow, 'detections')).toEqual(['new']);
    expect(events(flow, 'email')).toEqual(['new']);
    expect(slackMessages(flow)).toHaveLength(1);
  });

  test('a newer update waits for an older outbox still owned by another delivery', async () => {
    flow = await startFlow();
    flow.emulator.setFaults({ serverErrors: { actions: ['PublishBatch'], rate: 1 } });
    await flow.runProcessor({
      Records: [{ messageId: 'owner', body: JSON.stringify(rawDetection(70, 1_000)) }],
    } as never);
    flow.emulator.setFaults({});
    const newer = await flow.runProcessor({
      Records: [{ messageId: 'newer', body: JSON.stringify(rawDetection(70, 2_000, { risk_score: 95 })) }],
    } as never);
    expect(newer.batchItemFailures).toEqual([{ itemIdentifier: 'newer' }]);
    expect(flow.emulator.published()).toEqual([]);
    // The owner's redelivery sends its outbox; then the newer update goes through.
    await flow.runProcessor({
      Records: [{ messageId: 'owner', body: JSON.stringify(rawDetection(70, 1_000)) }],
    } as never);
    await flow.runProcessor({
      Records: [{ messageId: 'newer', body: JSON.stringify(rawDetection(70, 2_000, { risk_score: 95 })) }],
    } as never);
    expect(events(flow, 'email')).toEqual(['new', 'escalated']);
  });
});

describe('invalid and hostile input', () => {
  test('invalid detections are acknowledged, reported to ops once per batch, and never published', async () => {
    flow = await startFlow();
    await enqueue(flow, '{"id": 5, "type": "x"}', 'not json', rawDetection(90, 1_000));
    const { response } = await flow.processOnce();
    expect(response.batchItemFailures).toEqual([]);
    expect(flow.emulator.queueMessages('autotap-detections')).toEqual([]);
    const ops = flow.published('ops');
    expect(ops).toHaveLength(1);
    expect(ops[0]?.subject).toBe('autotap: 2 invalid detection(s) dropped');
    expect(ops[0]?.message).toContain('detection 5: ');
    expect(ops[0]?.message).toContain('risk_score: expected an integer from 1 to 99');
    expect(ops[0]?.message).toContain('the message body is not JSON');
    expect(events(flow, 'detections')).toEqual(['new']);
  });

  test('fuzzed message bodies never crash the processor and never publish a detection', async () => {
    flow = await startFlow();
    const body = fc.oneof(
      fc.string(),
      fc.json(),
      fc.anything().map((v) => JSON.stringify(v) ?? 'undefined'),
      fc
        .record({
          id: fc.anything(),
          type: fc.anything(),
          risk_score: fc.anything(),
          mod_time: fc.anything(),
          start_time: fc.anything(),
        })
        .map((v) => JSON.stringify(v)),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(body, { minLength: 1, maxLength: 10 }), async (bodies) => {
        const records = bodies.map((b, i) => ({ messageId: `fuzz-${i}`, body: b }));
        const response = await flow!.runProcessor({ Records: records } as never);
        expect(response.batchItemFailures).toEqual([]);
      }),
      { numRuns: 60 },
    );
    expect(flow.published('detections')).toEqual([]);
    expect(flow.published('email')).toEqual([]);
    expect(flow.emulator.queueMessages('autotap-slack')).toEqual([]);
  });

  test('an event that is not an SQS event fails the invocation by name', async () => {
    flow = await startFlow();
    await expect(flow.runProcessor({ nope: true } as never)).rejects.toMatchObject({ name: 'InvalidSqsEvent' });
  });
});

describe('oversized fields and parking', () => {
  const huge = (text: string, length = 50_000) => text.repeat(Math.ceil(length / text.length));

  test('a title over 256 KiB and long type, category, URL and host name: delivered trimmed, and a later escalation still goes out', async () => {
    flow = await startFlow();
    const oversized = rawDetection(70, 1_000, {
      title: huge('Long title ', 270_000),
      type: huge('t'),
      categories: ['sec', huge('sec.x')],
      url: `${flow.appliance.url}/extrahop/#/detections/detail/70?${huge('a')}`,
      participants: [
        { role: 'offender', object_type: 'device', object_id: 1, object_value: '10.0.1.7', hostname: huge('h') },
      ],
    });
    await enqueue(flow, oversized);
    expect((await flow.processOnce()).response.batchItemFailures).toEqual([]);
    const [machine] = flow.published('detections');
    const message = JSON.parse(machine!.message) as {
      detection: {
        title: string;
        type: string;
        categories: string[];
        participants: { hostname: string }[];
        url: string;
      };
    };
    expect(message.detection.title).toMatch(/\.\.\. \(truncated\)$/);
    expect(message.detection.type).toMatch(/\.\.\. \(truncated\)$/);
    expect(message.detection.categories[1]).toMatch(/\.\.\. \(truncated\)$/);
    expect(message.detection.participants[0]!.hostname).toMatch(/\.\.\. \(truncated\)$/);
    // A link cut short would lead elsewhere: the configured appliance's own link replaces it.
    expect(message.detection.url).toBe(`${flow.appliance.url}/extrahop/#/detections/detail/70`);
    expect(flow.published('email')).toHaveLength(1);
    expect(flow.published('email')[0]!.message).toContain('Title: Long title Long title');

    await enqueue(flow, { ...oversized, mod_time: 2_000, update_time: 2_000, risk_score: 95 });
    expect((await flow.processOnce()).response.batchItemFailures).toEqual([]);
    expect(events(flow, 'email')).toEqual(['new', 'escalated']);
  });

  test('a description over 256 KiB: each topic gets it cut to fit, and the DetectionsTrimmed metric counts it by topic', async () => {
    flow = await startFlow();
    await enqueue(flow, rawDetection(71, 1_000, { description: huge('A very long description. ', 300_000) }));
    await enqueue(flow, rawDetection(72, 1_000));
    expect((await flow.processOnce()).response.batchItemFailures).toEqual([]);
    const cut = flow
      .published('detections')
      .map((p) => JSON.parse(p.message) as { truncated?: true; detection: { id: string } })
      .filter((m) => m.truncated);
    expect(cut.map((m) => m.detection.id)).toEqual(['71']);
    const totals = Object.fromEntries(metricTotals(flow.metrics()).map((m) => [m.metric, m.sum]));
    expect(totals).toMatchObject({
      'DetectionsTrimmed{Channel=detections}': 1,
      'DetectionsTrimmed{Channel=email}': 1,
      DetectionsTrimmed: 2,
      DetectionsNotified: 2,
    });
  });

  test('a channel that refuses an update for good: parked and reported to ops, the other detections and later updates go on', async () => {
    flow = await startFlow();
    await enqueue(flow, rawDetection(80, 1_000), rawDetection(81, 1_000));
    const event = await flow.receive();
    const { publishBatch } = await import('../../src/aws/sns.ts');
    const { processBatch } = await import('../../src/detections/ingest/process-batch.ts');
    // SNS refusing detection 80's email entry for what it is (as it does a message over 256 KiB).
    const fanout = {
      publishBatch: async (topic: 'detections' | 'email', entries: Parameters<typeof publishBatch>[1]) => {
        const refused =
          topic === 'email' ? entries.filter((e) => JSON.stringify(e).includes('RDP brute force 80')) : [];
        const failures = await publishBatch(
          TOPICS[topic],
          entries.filter((e) => !refused.includes(e)),
        );
        const out = new Map([...failures].map(([id, f]) => [id, { permanent: f.senderFault, reason: f.code }]));
        for (const e of refused)
          out.set(e.Id, { permanent: true, reason: 'InvalidParameter: Invalid parameter: Message too long' });
        return out;
      },
    };
    const result = await processBatch(event.Records, flow.table, fanout, {
      policy: { minRiskScore: 30, escalationDelta: 20, notifyOnClose: false },
    });
    expect(result.failed).toEqual([]);
    expect(result.parked).toEqual([
      {
        messageId: event.Records[0]!.messageId,
        detectionId: '80',
        modTime: 1_000,
        channel: 'email',
        reason: 'InvalidParameter: Invalid parameter: Message too long',
      },
    ]);
    expect(events(flow, 'email')).toEqual(['new']);
    // Nothing is held for detection 80: its escalation is decided and delivered at once.
    expect((await flow.table.load('detection#default#80'))?.outbox).toBeUndefined();
    await enqueue(flow, rawDetection(80, 2_000, { risk_score: 95 }));
    expect((await flow.processOnce()).response.batchItemFailures).toEqual([]);
    expect(events(flow, 'email')).toEqual(['new', 'escalated']);
  });
});
