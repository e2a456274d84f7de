import { captureEmbeddedMetrics, type MetricDatum } from '../../local/cloudwatch/embedded-metrics.ts';
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createTable, startDynalite } from '../../local/dynamodb.ts';
import { startEmulator, type Emulator, type PublishedMessage } from '../../local/emulator/index.ts';
import { DetectionTable } from '../../src/aws/dynamodb.ts';
import { forgetTokens } from '../../src/aws/appliance.ts';
import { logger } from '../../src/lambda/logger.ts';
import { handler as processHandler } from '../../functions/detections-process.ts';
import { startApplianceServer, type ApplianceServer, type ApplianceServerOptions } from './appliance-server.ts';

/**
 * Everything the detection Lambdas talk to, on loopback: the emulator (SNS, SQS, Secrets Manager),
 * dynalite (DynamoDB) and the appliance stand-in; the environment the deployed Lambdas get.
 */

export const API_KEY = 'apikey-7f3c9d2e-SECRET';
export const CLIENT_ID = 'autotap-client';
export const CLIENT_SECRET = 'oauth-secret-91ab44-SECRET';
export const WEBHOOK_TOKEN = 'webhook-token-5d1e8a-SECRET';
export const WEBHOOK_HMAC = 'webhook-hmac-0c77f2-SECRET';
const ACCOUNT = '123456789012';
export const APPLIANCE_SECRET_ARN = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:appliance-AbCdEf`;
export const WEBHOOK_SECRET_ARN = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:webhook-AbCdEf`;
export const TOPICS = {
  detections: `arn:aws:sns:us-east-1:${ACCOUNT}:autotap-detections`,
  email: `arn:aws:sns:us-east-1:${ACCOUNT}:autotap-detections-email`,
  ops: `arn:aws:sns:us-east-1:${ACCOUNT}:autotap-ops`,
};

export interface FlowOptions {
  auth?: 'apikey' | 'oauth';
  pageSize?: number;
  notifyOnClose?: boolean;
  slack?: boolean;
  appliance?: ApplianceServerOptions;
  /** Topics to leave out of the seed (created later by the test). */
  withoutTopics?: (keyof typeof TOPICS)[];
}

export interface Flow {
  emulator: Emulator;
  appliance: ApplianceServer;
  table: DetectionTable;
  sqs: SQSClient;
  queueUrl: string;
  slackQueueUrl: string;
  /** Emulator clock offset: advancing it makes in-flight messages visible again. */
  advance(ms: number): void;
  published(topic: keyof typeof TOPICS): PublishedMessage[];
  /** Receives up to `max` messages from the detections queue and runs the processor on them as one SQS event. */
  processOnce(max?: number): Promise<{ event: SQSEvent; response: SQSBatchResponse }>;
  /** Runs the processor until the queue is empty (failed messages come back after their visibility timeout). */
  drain(rounds?: number): Promise<SQSBatchResponse[]>;
  receive(max?: number): Promise<SQSEvent>;
  runProcessor(event: SQSEvent): Promise<SQSBatchResponse>;
  /** The metrics the detection Lambdas wrote (EMF), as the local CloudWatch keeps them. */
  metrics(): MetricDatum[];
  close(): Promise<void>;
}

export function lambdaContext(functionName = 'detections', remainingMs = 60_000): Context {
  return {
    functionName: `autotap-test-${functionName}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:autotap-test-${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/autotap-test-${functionName}`,
    logStreamName: 'test',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

const saved = { ...process.env };

export async function startFlow(options: FlowOptions = {}): Promise<Flow> {
  logger.setLogLevel('SILENT');
  forgetTokens();
  let offset = 0;
  const clock = () => Date.now() + offset;
  const auth = options.auth ?? 'apikey';
  const appliance = await startApplianceServer(
    options.appliance ??
      (auth === 'apikey' ? { apiKey: API_KEY } : { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }),
  );
  const emulator = await startEmulator(
    {
      topics: Object.entries(TOPICS)
        .filter(([name]) => !options.withoutTopics?.includes(name as keyof typeof TOPICS))
        .map(([, arn]) => arn),
      queues: ['autotap-detections', 'autotap-slack'],
      secrets: [
        {
          arn: APPLIANCE_SECRET_ARN,
          value: JSON.stringify(
            auth === 'apikey' ? { apiKey: API_KEY } : { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
          ),
        },
        { arn: WEBHOOK_SECRET_ARN, value: JSON.stringify({ token: WEBHOOK_TOKEN, hmacSecret: WEBHOOK_HMAC }) },
      ],
    },
    { clock },
  );
  let dynamo: Awaited<ReturnType<typeof startDynalite>> | undefined;
  const credentials = { accessKeyId: 'AKIATEST', secretAccessKey: 'secret' };
  const tableName = `autotap-detections-${randomUUID().slice(0, 8)}`;
  const dynamoClients: DynamoDBClient[] = [];
  try {
    dynamo = await startDynalite();
    await createTable(dynamo.endpoint, tableName, 'pk');
  } catch (error) {
    // The test never gets a flow to close: what was started must not outlive it.
    for (const client of dynamoClients) client.destroy();
    await Promise.all([emulator.close(), appliance.close(), dynamo?.close()]);
    throw error;
  }
  const queueUrl = emulator.queueUrl('autotap-detections');
  const slackQueueUrl = emulator.queueUrl('autotap-slack');
  const config = {
    mirroring: { filterId: 'tmf-0f1', targets: [{ id: 'tmt-0a1' }] },
    detections: {
      appliance: { url: appliance.url, auth, secretArn: APPLIANCE_SECRET_ARN },
      poll: { enabled: true, pageSize: options.pageSize ?? 1000 },
      webhook: { enabled: true, secretArn: WEBHOOK_SECRET_ARN },
      minRiskScore: 30,
      escalationDelta: 20,
      notifyOnClose: options.notifyOnClose ?? false,
      ...(options.slack === false
        ? {}
        : { slack: { secretArn: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:slack-AbCdEf` } }),
    },
  };
  Object.assign(process.env, emulator.env(), {
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_MAX_ATTEMPTS: '1',
    AUTOTAP_CONFIG: JSON.stringify(config),
    DETECTIONS_TABLE: tableName,
    DETECTIONS_QUEUE_URL: queueUrl,
    DETECTIONS_TOPIC_ARN: TOPICS.detections,
    DETECTIONS_EMAIL_TOPIC_ARN: TOPICS.email,
    SLACK_QUEUE_URL: slackQueueUrl,
    OPS_TOPIC_ARN: TOPICS.ops,
    // From the epoch: the tests' detections have small mod_times.
    DETECTIONS_INITIAL_LOOKBACK_MINUTES: String(60 * 24 * 365 * 100),
  });
  const tableClient = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials });
  dynamoClients.push(tableClient);
  const table = new DetectionTable(tableName, tableClient);
  const sqs = new SQSClient({ endpoint: emulator.endpoint, region: emulator.region, credentials, maxAttempts: 1 });

  const runProcessor = (event: SQSEvent) => processHandler(event, lambdaContext('detections-process'));
  const receive = async (max = 10): Promise<SQSEvent> => {
    const out = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: max, VisibilityTimeout: 60 }),
    );
    return {
      Records: (out.Messages ?? []).map((m) => ({
        messageId: m.MessageId!,
        receiptHandle: m.ReceiptHandle!,
        body: m.Body!,
        attributes: {} as never,
        messageAttributes: {},
        md5OfBody: m.MD5OfBody!,
        eventSource: 'aws:sqs',
        eventSourceARN: `arn:aws:sqs:us-east-1:${ACCOUNT}:autotap-detections`,
        awsRegion: 'us-east-1',
      })),
    };
  };
  /** What the Lambda event source mapping does after an invocation: delete all but the reported failures. */
  const settle = async (event: SQSEvent, response: SQSBatchResponse) => {
    const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    for (const record of event.Records) {
      if (failed.has(record.messageId)) {
        await sqs.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: queueUrl,
            ReceiptHandle: record.receiptHandle,
            VisibilityTimeout: 0,
          }),
        );
      } else {
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: record.receiptHandle }));
      }
    }
  };
  const processOnce = async (max = 10) => {
    const event = await receive(max);
    const response = event.Records.length > 0 ? await runProcessor(event) : { batchItemFailures: [] };
    await settle(event, response);
    return { event, response };
  };

  // What the Lambdas write to their log as EMF, out of the test output and into the local CloudWatch.
  const capture = captureEmbeddedMetrics();
  return {
    emulator,
    appliance,
    table,
    sqs,
    queueUrl,
    slackQueueUrl,
    advance: (ms) => {
      offset += ms;
    },
    published: (topic) => emulator.published().filter((m) => m.topicArn === TOPICS[topic]),
    processOnce,
    drain: async (rounds = 5) => {
      const responses: SQSBatchResponse[] = [];
      for (let i = 0; i < rounds; i++) {
        const { event, response } = await processOnce();
        if (event.Records.length === 0) break;
        responses.push(response);
      }
      return responses;
    },
    receive,
    runProcessor,
    metrics: () => [...capture.metrics],
    close: async () => {
      capture.stop();
      sqs.destroy();
      for (const client of dynamoClients) client.destroy();
      await Promise.all([emulator.close(), appliance.close(), dynamo.close()]);
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    },
  };
}

/** Everything written to stdout and stderr while `run` runs (the logger writes there). */
export async function captureOutput<T>(run: () => Promise<T>): Promise<{ result: T; output: string }> {
  const chunks: string[] = [];
  const original = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
  const capture = (chunk: unknown) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  process.stdout.write = capture;
  process.stderr.write = capture;
  logger.setLogLevel('DEBUG');
  try {
    const result = await run();
    return { result, output: chunks.join('') };
  } finally {
    process.stdout.write = original.out;
    process.stderr.write = original.err;
    logger.setLogLevel('SILENT');
  }
}
