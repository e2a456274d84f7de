import { describe, expect, test } from '@jest/globals';
import { InvalidSqsEvent, batchItemFailures, readSqsEvent } from '../../src/lambda/sqs-event.ts';

const record = (messageId: string, body: string) => ({
  messageId,
  receiptHandle: `rh-${messageId}`,
  body,
  attributes: { ApproximateReceiveCount: '1' },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:autotap-slack',
  awsRegion: 'us-east-1',
});

describe('readSqsEvent', () => {
  test('keeps the id and body of each record, in queue order', () => {
    expect(readSqsEvent({ Records: [record('b', '{"x":1}'), record('a', '')] })).toEqual([
      { messageId: 'b', body: '{"x":1}' },
      { messageId: 'a', body: '' },
    ]);
  });

  test('an empty batch is a batch', () => {
    expect(readSqsEvent({ Records: [] })).toEqual([]);
  });

  test.each([
    ['no Records', { nope: true }, 'Records:'],
    ['not an object', 'Records', '(root):'],
    ['a record without a message id', { Records: [{ body: 'x' }] }, 'Records[0].messageId:'],
    ['an empty message id', { Records: [record('', 'x')] }, 'Records[0].messageId:'],
    ['a body that is not a string', { Records: [record('a', 'x'), { messageId: 'b', body: 3 }] }, 'Records[1].body:'],
  ])('%s: InvalidSqsEvent naming the field', (_, event, field) => {
    let thrown: unknown;
    try {
      readSqsEvent(event);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidSqsEvent);
    expect(thrown).toMatchObject({
      name: 'InvalidSqsEvent',
      message: expect.stringContaining(`not an SQS event: ${field}`),
    });
  });
});

describe('batchItemFailures', () => {
  test('names each message handed back', () => {
    expect(batchItemFailures(['m-2', 'm-7'])).toEqual({
      batchItemFailures: [{ itemIdentifier: 'm-2' }, { itemIdentifier: 'm-7' }],
    });
  });

  test('nothing handed back: an empty list, so the whole batch is deleted', () => {
    expect(batchItemFailures([])).toEqual({ batchItemFailures: [] });
  });
});
