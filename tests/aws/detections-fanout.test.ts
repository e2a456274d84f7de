import { afterEach, describe, expect, test } from '@jest/globals';
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { detectionsFanout, refusesTheEntries } from '../../src/aws/detections-fanout.ts';

const sns = mockClient(SNSClient);
const sqs = mockClient(SQSClient);
const destinations = {
  detectionsTopicArn: 'arn:aws:sns:us-east-1:123456789012:detections',
  emailTopicArn: 'arn:aws:sns:us-east-1:123456789012:email',
};
const entry = (Id: string) => ({ Id, Message: '{}', MessageAttributes: {} });

afterEach(() => {
  sns.reset();
  sqs.reset();
});

describe('detectionsFanout', () => {
  test("each topic gets its own ARN; SNS's Failed entries become refused for good or worth retrying, by SenderFault", async () => {
    sns.on(PublishBatchCommand).resolves({
      Successful: [],
      Failed: [
        { Id: 'e0', Code: 'InvalidParameter', Message: 'too long', SenderFault: true },
        { Id: 'e1', Code: 'InternalError', Message: 'try again', SenderFault: false },
      ],
    });
    const failures = await detectionsFanout(destinations).publishBatch('email', [
      entry('e0'),
      entry('e1'),
      entry('e2'),
    ]);
    expect(sns.commandCalls(PublishBatchCommand)[0]!.args[0].input.TopicArn).toBe(destinations.emailTopicArn);
    expect([...failures]).toEqual([
      ['e0', { permanent: true, reason: 'InvalidParameter: too long' }],
      ['e1', { permanent: false, reason: 'InternalError: try again' }],
    ]);
  });

  test('no Slack queue: no Slack port, so nothing is owed to Slack', () => {
    expect(detectionsFanout(destinations).enqueueSlack).toBeUndefined();
  });

  test('the Slack queue refusing a body for good: that position is refused, the others sent', async () => {
    sqs.on(SendMessageBatchCommand).resolves({
      Successful: [],
      Failed: [{ Id: 'm1', Code: 'InvalidMessageContents', Message: 'bad character', SenderFault: true }],
    });
    const fanout = detectionsFanout({
      ...destinations,
      slackQueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/autotap-slack',
    });
    expect([...(await fanout.enqueueSlack!(['a', 'b']))]).toEqual([
      [1, { permanent: true, reason: 'InvalidMessageContents: bad character' }],
    ]);
  });
});

describe('refusesTheEntries', () => {
  test.each([
    ['BatchRequestTooLong', true],
    ['BatchRequestTooLongException', true],
    ['Throttling', false],
    ['BatchRequestTooLongish', false],
  ])('%s: %s', (name, expected) => {
    expect(refusesTheEntries(Object.assign(new Error('x'), { name }))).toBe(expected);
  });

  test('not an error at all: not about the entries', () => {
    expect(refusesTheEntries(undefined)).toBe(false);
  });
});
