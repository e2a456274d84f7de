import {
  DeleteMessageBatchCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterEach, describe, expect, test } from '@jest/globals';
import { startEmulator, type Emulator } from '../../local/emulator/index.ts';
import { credentials, failure } from './fixture.ts';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

let clock = 1_000_000;
async function start() {
  clock = 1_000_000;
  emulator = await startEmulator(
    { queues: ['detections'], secrets: [{ name: 'appliance', value: '{"apiKey":"k"}' }] },
    { clock: () => clock },
  );
  const options = { endpoint: emulator.endpoint, region: emulator.region, credentials, maxAttempts: 1 };
  return { emulator, sqs: new SQSClient(options), secrets: new SecretsManagerClient(options) };
}

describe('SQS', () => {
  test('send, receive, redeliver after the visibility timeout, delete', async () => {
    const { emulator, sqs } = await start();
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: 'detections' }));
    expect(QueueUrl).toBe(emulator.queueUrl('detections'));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: '{"id":1}' }));
    const batch = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: [
          { Id: 'a', MessageBody: 'two' },
          { Id: 'b', MessageBody: 'three' },
        ],
      }),
    );
    expect(batch.Successful?.map((s) => s.Id)).toEqual(['a', 'b']);

    const first = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 30 }),
    );
    expect(first.Messages?.map((m) => m.Body)).toEqual(['{"id":1}', 'two', 'three']);
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }))).Messages ?? []).toEqual(
      [],
    );
    clock += 30_000;
    const again = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'] }),
    );
    expect(again.Messages?.map((m) => m.Attributes?.ApproximateReceiveCount)).toEqual(['2', '2', '2']);
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl,
        Entries: again.Messages!.map((m, i) => ({ Id: `m${i}`, ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
    expect(emulator.queueMessages('detections')).toEqual([]);
  });

  test('more than 10 entries, an unknown queue and empty batches are refused with SQS codes', async () => {
    const { emulator, sqs } = await start();
    const QueueUrl = emulator.queueUrl('detections');
    const tooMany = await failure(
      sqs.send(
        new SendMessageBatchCommand({
          QueueUrl,
          Entries: Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, MessageBody: 'x' })),
        }),
      ),
    );
    expect(tooMany.name).toBe('TooManyEntriesInBatchRequest');
    expect((tooMany as unknown as { Code: string }).Code).toBe('AWS.SimpleQueueService.TooManyEntriesInBatchRequest');
    const missing = await failure(
      sqs.send(new SendMessageCommand({ QueueUrl: `${emulator.endpoint}/123456789012/nope`, MessageBody: 'x' })),
    );
    expect(missing.name).toBe('QueueDoesNotExist');
    const empty = await failure(sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: [] })));
    expect(empty.name).toBe('EmptyBatchRequest');
    expect(emulator.queueMessages('detections')).toEqual([]);
  });

  test('server errors injected on SendMessageBatch reach the client', async () => {
    const { emulator, sqs } = await start();
    emulator.setFaults({ serverErrors: { actions: ['SendMessageBatch'], count: 1 } });
    const error = await failure(
      sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: emulator.queueUrl('detections'),
          Entries: [{ Id: 'a', MessageBody: 'x' }],
        }),
      ),
    );
    expect(error.$metadata?.httpStatusCode).toBe(500);
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: emulator.queueUrl('detections'),
        Entries: [{ Id: 'a', MessageBody: 'x' }],
      }),
    );
    expect(emulator.queueMessages('detections').map((m) => m.body)).toEqual(['x']);
  });
});

describe('Secrets Manager', () => {
  test('GetSecretValue by name and by ARN; unknown secrets are ResourceNotFoundException', async () => {
    const { emulator, secrets } = await start();
    const byName = await secrets.send(new GetSecretValueCommand({ SecretId: 'appliance' }));
    expect(byName.SecretString).toBe('{"apiKey":"k"}');
    expect(byName.ARN).toMatch(/^arn:aws:secretsmanager:us-east-1:123456789012:secret:appliance-[A-Za-z0-9]{6}$/);
    const arn = emulator.putSecret('arn:aws:secretsmanager:us-east-1:123456789012:secret:hook-AbCdEf', 'token');
    expect((await secrets.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString).toBe('token');
    const missing = await failure(secrets.send(new GetSecretValueCommand({ SecretId: 'nope' })));
    expect(missing.name).toBe('ResourceNotFoundException');
  });

  test('env() points both services at the emulator', async () => {
    const { emulator } = await start();
    expect(emulator.env()).toMatchObject({
      AWS_ENDPOINT_URL_SQS: emulator.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: emulator.endpoint,
    });
  });
});
