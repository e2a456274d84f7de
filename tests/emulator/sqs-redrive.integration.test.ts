import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, test } from '@jest/globals';
import { startEmulator, type Emulator } from '../../local/emulator/index.ts';
import { credentials, failure } from './fixture.ts';

/** RedrivePolicy as SQS documents it: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html */

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

let clock = 1_000_000;
async function start() {
  clock = 1_000_000;
  emulator = await startEmulator({ queues: ['work-dlq', 'fifo-dlq.fifo'] }, { clock: () => clock });
  return new SQSClient({ endpoint: emulator.endpoint, region: emulator.region, credentials, maxAttempts: 1 });
}
const redrive = (target: string, maxReceiveCount: unknown) =>
  JSON.stringify({ deadLetterTargetArn: `arn:aws:sqs:us-east-1:${emulator!.accountId}:${target}`, maxReceiveCount });

describe('SQS RedrivePolicy', () => {
  test('a message received maxReceiveCount times moves to the dead-letter queue at the next receive, body and id kept', async () => {
    const sqs = await start();
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({
        QueueName: 'work',
        Attributes: { VisibilityTimeout: '30', RedrivePolicy: redrive('work-dlq', 2) },
      }),
    );
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'poison' }));
    for (let receive = 1; receive <= 2; receive++) {
      const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
      expect(out.Messages?.map((m) => m.Body)).toEqual(['poison']);
      clock += 31_000;
    }
    const third = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
    expect(third.Messages ?? []).toEqual([]);
    expect(emulator!.queueMessages('work')).toEqual([]);
    expect(emulator!.queueMessages('work-dlq')).toEqual([
      { messageId: sent.MessageId, body: 'poison', receiveCount: 0 },
    ]);
  });

  test.each([
    ['maxReceiveCount 0', () => redrive('work-dlq', 0), 'maxReceiveCount'],
    ['maxReceiveCount 1001', () => redrive('work-dlq', 1001), 'maxReceiveCount'],
    ['a missing dead-letter queue', () => redrive('nope', 3), 'does not exist'],
    ['a FIFO dead-letter queue for a standard queue', () => redrive('fifo-dlq.fifo', 3), 'same type'],
    ['not JSON', () => '{', 'not a valid JSON map'],
  ])('%s is InvalidParameterValue', async (_name, policy, message) => {
    const sqs = await start();
    const error = await failure(
      sqs.send(new CreateQueueCommand({ QueueName: 'work', Attributes: { RedrivePolicy: policy() } })),
    );
    expect(error.name).toBe('InvalidParameterValue');
    expect(error.message).toContain(message);
  });
});
