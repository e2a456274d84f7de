import {
  CreateTopicCommand,
  PublishBatchCommand,
  PublishCommand,
  SubscribeCommand,
  type PublishBatchRequestEntry,
} from '@aws-sdk/client-sns';
import { afterEach, describe, expect, test } from '@jest/globals';
import { startEmulator, type Emulator } from '../../local/emulator/index.ts';
import { failure, snsClient } from './fixture.ts';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const ALERTS = 'arn:aws:sns:us-east-1:123456789012:alerts';

async function start() {
  emulator = await startEmulator({ topics: ['alerts', 'arn:aws:sns:us-east-1:123456789012:other'] });
  return { emulator, client: snsClient(emulator, 1) };
}

describe('Publish', () => {
  test('records topic, subject, message, attributes and structure', async () => {
    const { emulator, client } = await start();
    const out = await client.send(
      new PublishCommand({
        TopicArn: ALERTS,
        Subject: 'Detection: port scan',
        Message: JSON.stringify({ default: 'scan <from> 10.0.0.1 & more', email: 'long text' }),
        MessageStructure: 'json',
        MessageAttributes: {
          severity: { DataType: 'String', StringValue: 'high' },
          score: { DataType: 'Number', StringValue: '8.5' },
          raw: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2, 3]) },
        },
      }),
    );
    expect(out.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(emulator.published()).toEqual([
      {
        topicArn: ALERTS,
        subject: 'Detection: port scan',
        message: JSON.stringify({ default: 'scan <from> 10.0.0.1 & more', email: 'long text' }),
        messageStructure: 'json',
        messageAttributes: {
          severity: { dataType: 'String', value: 'high' },
          score: { dataType: 'Number', value: '8.5' },
          raw: { dataType: 'Binary', value: Buffer.from([1, 2, 3]).toString('base64') },
        },
        messageId: out.MessageId,
      },
    ]);
    expect(emulator.calls().Publish).toBe(1);
  });

  test('an unknown topic is NotFound', async () => {
    const { emulator, client } = await start();
    const error = await failure(
      client.send(new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:123456789012:nope', Message: 'x' })),
    );
    expect(error.name).toBe('NotFoundException');
    expect(error.$metadata?.httpStatusCode).toBe(404);
    expect(emulator.published()).toEqual([]);
  });

  test('subjects must be printable ASCII, one line, under 100 characters', async () => {
    const { client } = await start();
    for (const Subject of ['x'.repeat(100), 'two\nlines', 'caf\u00e9', ' leading space']) {
      const error = await failure(client.send(new PublishCommand({ TopicArn: ALERTS, Subject, Message: 'm' })));
      expect([Subject, error.name]).toEqual([Subject, 'InvalidParameterException']);
      expect(error.message).toContain('Subject');
    }
    await client.send(new PublishCommand({ TopicArn: ALERTS, Subject: 'x'.repeat(99), Message: 'm' }));
  });

  test('messages over 256 KiB and JSON structures without a default are refused', async () => {
    const { client } = await start();
    const big = await failure(client.send(new PublishCommand({ TopicArn: ALERTS, Message: 'x'.repeat(262_145) })));
    expect(big.name).toBe('InvalidParameterException');
    expect(big.message).toMatch(/too long/);
    await client.send(new PublishCommand({ TopicArn: ALERTS, Message: 'x'.repeat(262_144) }));
    const noDefault = await failure(
      client.send(new PublishCommand({ TopicArn: ALERTS, MessageStructure: 'json', Message: '{"email":"x"}' })),
    );
    expect(noDefault.name).toBe('InvalidParameterException');
    expect(noDefault.message).toContain('No default entry');
    const notJson = await failure(
      client.send(new PublishCommand({ TopicArn: ALERTS, MessageStructure: 'json', Message: 'plain' })),
    );
    expect(notJson.message).toContain('failed to parse');
  });

  test('message attributes are validated', async () => {
    const { client } = await start();
    const number = await failure(
      client.send(
        new PublishCommand({
          TopicArn: ALERTS,
          Message: 'm',
          MessageAttributes: { n: { DataType: 'Number', StringValue: 'ten' } },
        }),
      ),
    );
    expect(number.name).toBe('InvalidParameterValueException');
    expect(number.message).toContain("'n'");
    const type = await failure(
      client.send(
        new PublishCommand({
          TopicArn: ALERTS,
          Message: 'm',
          MessageAttributes: { t: { DataType: 'Date', StringValue: 'x' } },
        }),
      ),
    );
    expect(type.name).toBe('InvalidParameterValueException');
  });

  test('topics created over the API can be published to and subscribed', async () => {
    const { emulator, client } = await start();
    const created = await client.send(new CreateTopicCommand({ Name: 'fresh' }));
    expect(created.TopicArn).toBe('arn:aws:sns:us-east-1:123456789012:fresh');
    const subscribed = await client.send(
      new SubscribeCommand({ TopicArn: created.TopicArn, Protocol: 'email', Endpoint: 'soc@example.com' }),
    );
    expect(subscribed.SubscriptionArn).toMatch(/^arn:aws:sns:us-east-1:123456789012:fresh:/);
    await client.send(new PublishCommand({ TopicArn: created.TopicArn, Message: 'hello' }));
    expect(emulator.published().map((m) => [m.topicArn, m.message])).toEqual([[created.TopicArn, 'hello']]);
  });
});

describe('Subscribe with a filter policy', () => {
  test("refuses one more than the topic's filter policies with FilterPolicyLimitExceeded", async () => {
    emulator = await startEmulator({ topics: ['alerts', 'other'], snsFilterPoliciesPerTopic: 2 });
    const client = snsClient(emulator, 1);
    const subscribe = (topic: string, endpoint: string, FilterPolicy?: string) =>
      client.send(
        new SubscribeCommand({
          TopicArn: `arn:aws:sns:us-east-1:123456789012:${topic}`,
          Protocol: 'email',
          Endpoint: endpoint,
          ...(FilterPolicy ? { Attributes: { FilterPolicy, FilterPolicyScope: 'MessageAttributes' } } : {}),
        }),
      );
    const policy = JSON.stringify({ riskScore: [{ numeric: ['>=', 80] }] });
    await subscribe('alerts', 'a@example.com', policy);
    await subscribe('alerts', 'b@example.com', policy);
    // Again with the same endpoint: the same subscription, not one more policy.
    await subscribe('alerts', 'b@example.com', policy);
    // Without a policy, or on another topic, the quota is not touched.
    await subscribe('alerts', 'c@example.com');
    await subscribe('other', 'd@example.com', policy);
    const over = await failure(subscribe('alerts', 'e@example.com', policy));
    expect([over.name, over.$metadata?.httpStatusCode]).toEqual(['FilterPolicyLimitExceededException', 403]);
    const bad = await failure(subscribe('other', 'f@example.com', '[1]'));
    expect(bad.name).toBe('InvalidParameterException');
  });
});

describe('PublishBatch', () => {
  const entries = (n: number, over: Partial<PublishBatchRequestEntry> = {}): PublishBatchRequestEntry[] =>
    Array.from({ length: n }, (_, i) => ({ Id: `e${i}`, Message: `message ${i}`, ...over }));

  test('publishes up to ten entries and records each with its attributes', async () => {
    const { emulator, client } = await start();
    const out = await client.send(
      new PublishBatchCommand({
        TopicArn: ALERTS,
        PublishBatchRequestEntries: entries(10, {
          Subject: 'batch',
          MessageAttributes: { kind: { DataType: 'String', StringValue: 'alert' } },
        }),
      }),
    );
    expect(out.Successful?.map((s) => s.Id)).toEqual(entries(10).map((e) => e.Id));
    expect(out.Failed ?? []).toEqual([]);
    const published = emulator.published();
    expect(published).toHaveLength(10);
    expect(published[3]).toMatchObject({
      topicArn: ALERTS,
      subject: 'batch',
      message: 'message 3',
      batchEntryId: 'e3',
      messageAttributes: { kind: { dataType: 'String', value: 'alert' } },
    });
  });

  test('eleven entries are TooManyEntriesInBatchRequest', async () => {
    const { emulator, client } = await start();
    const error = await failure(
      client.send(new PublishBatchCommand({ TopicArn: ALERTS, PublishBatchRequestEntries: entries(11) })),
    );
    expect(error.name).toBe('TooManyEntriesInBatchRequestException');
    expect(error.message).toContain('11');
    expect(emulator.published()).toEqual([]);
  });

  test('duplicate ids are BatchEntryIdsNotDistinct; no entries is EmptyBatchRequest', async () => {
    const { client } = await start();
    const duplicate = await failure(
      client.send(
        new PublishBatchCommand({
          TopicArn: ALERTS,
          PublishBatchRequestEntries: [
            { Id: 'a', Message: '1' },
            { Id: 'a', Message: '2' },
          ],
        }),
      ),
    );
    expect(duplicate.name).toBe('BatchEntryIdsNotDistinctException');
    const empty = await failure(
      client.send(new PublishBatchCommand({ TopicArn: ALERTS, PublishBatchRequestEntries: [] })),
    );
    expect(empty.name).toBe('EmptyBatchRequestException');
  });

  test('a batch over 256 KiB in total is refused as a whole', async () => {
    const { emulator, client } = await start();
    const error = await failure(
      client.send(
        new PublishBatchCommand({
          TopicArn: ALERTS,
          PublishBatchRequestEntries: entries(2, { Message: 'x'.repeat(140_000) }),
        }),
      ),
    );
    expect(error.name).toBe('BatchRequestTooLongException');
    expect(emulator.published()).toEqual([]);
  });

  test('an entry with bad content fails alone, reported in Failed', async () => {
    const { emulator, client } = await start();
    const out = await client.send(
      new PublishBatchCommand({
        TopicArn: ALERTS,
        PublishBatchRequestEntries: [
          { Id: 'good', Message: 'ok' },
          { Id: 'bad', Message: 'm', Subject: 'line\nbreak' },
        ],
      }),
    );
    expect(out.Successful?.map((s) => s.Id)).toEqual(['good']);
    expect(out.Failed).toEqual([expect.objectContaining({ Id: 'bad', Code: 'InvalidParameter', SenderFault: true })]);
    expect(emulator.published().map((m) => m.batchEntryId)).toEqual(['good']);
  });

  test('an unknown topic is NotFound', async () => {
    const { client } = await start();
    const error = await failure(
      client.send(
        new PublishBatchCommand({
          TopicArn: 'arn:aws:sns:us-east-1:123456789012:nope',
          PublishBatchRequestEntries: entries(1),
        }),
      ),
    );
    expect(error.name).toBe('NotFoundException');
  });
});
