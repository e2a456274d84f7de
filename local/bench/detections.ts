import { fork, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ChangeMessageVisibilityCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { parse as parseYaml } from 'yaml';
import { detectionFunctions } from '../../deploy/stage-config.ts';
import { parseConfig } from '../../src/config/load.ts';
import { lifecyclePolicy } from '../../src/detections/ingest/environment.ts';
import { createTable, startDynalite } from '../dynamodb.ts';
import { startEmulator } from '../emulator/index.ts';
import { startBenchAppliance } from './detections-appliance.ts';
import type { AwsCall, ContainerFunction, ContainerReady, InvocationReport } from './lambda-container.ts';
import {
  detectionsMessageKey,
  emailMessageKey,
  expectedFanout,
  missingFrom,
  percentile,
  publishBatchFloor,
  repeatedKeys,
  type ExpectedFanout,
} from './detections-metrics.ts';
import { generateWindow, type DetectionWindow, type DetectionWindowParams, type RawDetection } from './detections-scenario.ts';
import type { PageTimingResult } from './detections-page.ts';
import type { TargetCheck } from './metrics.ts';

/**
 * The detections half of the benchmark: one poll window through the real handlers. The poll Lambda
 * pages through a loopback appliance and enqueues to the emulator's SQS; the queue is drained into
 * the processor Lambda in SQS batches, as the Lambda event source mapping does, with dynalite as
 * DynamoDB; what reached SNS is read back from the emulator. Each Lambda runs in a child process of
 * its own (detections-container.ts), so that its memory is a container's, not the whole benchmark's.
 */

export interface DetectionsParams {
  window: Partial<DetectionWindowParams>;
  /** The poll's page size (detections.poll.pageSize). */
  pageSize: number;
  /** Records per processor invocation (the event source mapping's BatchSize). */
  sqsBatchSize: number;
  /** Further runs of the same window at these batch sizes, for comparison. */
  compareBatchSizes: number[];
  /** Share of neighbours swapped within each page. */
  disorderShare: number;
  /** Detections waiting after an outage, drained by as many polls as it takes (0: no backlog run). */
  backlog: number;
  onProgress?: (line: string) => void;
}

export const DEFAULT_DETECTIONS: Omit<DetectionsParams, 'window' | 'onProgress'> = {
  pageSize: 1000,
  // Lambda's default for an SQS event source; more than 10 needs a batching window.
  sqsBatchSize: 10,
  compareBatchSizes: [100],
  disorderShare: 0.1,
  backlog: 100_000,
};

/** The backlog run's SQS batch size: the larger of the compared sizes, to drain 100,000 in minutes. */
const BACKLOG_BATCH_SIZE = 100;

export interface LambdaSettings {
  memoryMb: number;
  timeoutSeconds: number;
}

export interface TopicFigures {
  publishBatchCalls: number;
  publishCalls: number;
  /** Messages the emulator recorded on the topic. */
  messages: number;
  /** ceil(messages / 10): the fewest PublishBatch calls for these messages. */
  floor: number;
  largestBatch: number;
  /** Messages of the topic that repeat an earlier one (same detection, mod_time and event). */
  repeated: number;
}

export interface ContainerMemory {
  /** RSS after the runtime started, and after the handler was imported (before any invocation). */
  runtimeRss: number;
  loadedRss: number;
  importMs: number;
  /** Peak RSS over every invocation (getrusage): what Lambda's memory limit is measured against. */
  peakRss: number;
  peakHeapUsed: number;
  /** Per invocation: the highest heapUsed during it minus heapUsed at its start. */
  invocationHeapGrowth: { max: number; median: number; p95: number };
}

export interface DetectionsRun {
  sqsBatchSize: number;
  /** Over every poll it took to reach the end of the window. */
  poll: { outcome: string; polls: number; pages: number; enqueued: number; searches: number; ms: number; response: unknown };
  processor: {
    invocations: number;
    /** Records handed to the processor, redeliveries included. */
    recordsDelivered: number;
    batchItemFailures: number;
    failedInvocations: number;
    records: { min: number; max: number };
  };
  expected: Omit<ExpectedFanout, 'changeKeys' | 'notificationKeys'>;
  topics: { detections: TopicFigures; email: TopicFigures; ops: { publishCalls: number; messages: number } };
  /** Published messages missing from, or extra to, the expected fan-out (first 5 keys each). */
  mismatches: { detectionsMissing: string[]; detectionsExtra: string[]; emailMissing: string[]; emailExtra: string[] };
  slack: { sendMessageBatchCalls: number; messages: number };
  sqs: {
    /** The poll's SendMessageBatch calls to the detections queue, and their entries. */
    pollSendMessageBatch: number;
    pollEntries: number;
    largestBatch: number;
    /** Calls of the event source mapping (receive, delete, visibility): Lambda's poller, not the function. */
    eventSource: Record<string, number>;
  };
  dynamodb: {
    /** Per command, from the handlers' clients. */
    byCommand: Record<string, number>;
    conditionalFailures: number;
    total: number;
    perRecord: number;
    /** Requests dynalite received from the handlers, counted on its side. */
    httpRequests: number;
  };
  /** The emulator's own call log, per action (event source calls included). */
  emulatorCalls: Record<string, number>;
  time: { pollMs: number; processMs: number; wallMs: number; detectionsPerSecond: number };
  memory: { poll: ContainerMemory; process: ContainerMemory };
}

export interface DetectionsResult {
  params: Omit<DetectionsParams, 'onProgress' | 'window'> & { window: DetectionWindowParams };
  lambda: { poll: LambdaSettings; process: LambdaSettings; source: string };
  window: DetectionWindow['counts'];
  /** The first run is at sqsBatchSize; the others at compareBatchSizes. */
  runs: DetectionsRun[];
  /** A backlog after an outage: first sightings only, drained by repeated polls. */
  backlog?: { detections: number; run: DetectionsRun };
  /** The poll's largest page on a slow queue (detections-page.ts); filled in by the benchmark. */
  page?: PageTimingResult;
  /** Filled in by the benchmark once the bundles are measured too (detections-targets.ts). */
  targets: TargetCheck[];
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CONTAINER = fileURLToPath(new URL('./lambda-container.ts', import.meta.url));
const ACCOUNT = '123456789012';
export const TOPICS = {
  detections: `arn:aws:sns:us-east-1:${ACCOUNT}:autotap-bench-detections`,
  email: `arn:aws:sns:us-east-1:${ACCOUNT}:autotap-bench-detections-email`,
  ops: `arn:aws:sns:us-east-1:${ACCOUNT}:autotap-bench-ops`,
};
export const APPLIANCE_SECRET = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:bench-appliance-AbCdEf`;
const SLACK_SECRET = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:bench-slack-AbCdEf`;
export const CREDENTIALS = { accessKeyId: 'AKIABENCH', secretAccessKey: 'bench-secret' };

export const BENCH_TABLE = 'autotap-bench-detections';
export const BENCH_QUEUES = { detections: 'autotap-bench-detections', slack: 'autotap-bench-slack' };

/** The detections table as the stack defines it (pk only, on demand), in dynalite. */
export const createDetectionsTable = (endpoint: string): Promise<string> => createTable(endpoint, BENCH_TABLE, 'pk');

/** A detection container's environment, as the deployed stack sets it, against the local services. */
export function containerEnv(
  emulator: Awaited<ReturnType<typeof startEmulator>>,
  dynamoEndpoint: string,
  config: unknown,
  where: { tableName: string; queueUrl: string; slackQueueUrl: string; records: readonly RawDetection[] },
): NodeJS.ProcessEnv {
  const oldest = where.records.reduce((m, r) => Math.min(m, r.mod_time as number), Date.now());
  return {
    PATH: process.env.PATH ?? '',
    ...emulator.env(),
    AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
    // As the deployed stack configures the SDK (serverless.yml provider.environment).
    AWS_RETRY_MODE: 'adaptive',
    AWS_MAX_ATTEMPTS: '5',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    LOG_LEVEL: 'SILENT',
    AUTOTAP_CONFIG: JSON.stringify(config),
    DETECTIONS_TABLE: where.tableName,
    DETECTIONS_QUEUE_URL: where.queueUrl,
    DETECTIONS_TOPIC_ARN: TOPICS.detections,
    DETECTIONS_EMAIL_TOPIC_ARN: TOPICS.email,
    SLACK_QUEUE_URL: where.slackQueueUrl,
    OPS_TOPIC_ARN: TOPICS.ops,
    // The whole seeded window (it starts on 2026-01-01) is new to a first poll.
    DETECTIONS_INITIAL_LOOKBACK_MINUTES: String(Math.ceil((Date.now() - oldest) / 60_000) + 60),
  };
}

/**
 * Memory and timeout of each Lambda as the deployed stack has them: the function's own setting in
 * serverless.yml or, for the detection functions, deploy/stage-config.ts; else the provider default.
 */
export async function declaredLambdas(): Promise<(file: string) => LambdaSettings & { declared: boolean }> {
  type Fn = { handler?: string; memorySize?: number; timeout?: number };
  const doc = parseYaml(await readFile(`${ROOT}serverless.yml`, 'utf8'), { logLevel: 'silent' }) as {
    provider?: { memorySize?: number; timeout?: number };
    /** A map, or (as here) a list of maps merged by the framework. */
    functions?: Record<string, Fn> | (Record<string, Fn> | string)[];
  };
  const fallback = { memoryMb: doc.provider?.memorySize ?? 1024, timeoutSeconds: doc.provider?.timeout ?? 6 };
  const stage = parseConfig(
    { mirroring: { filterId: 'tmf-0123456789abcdef0', targets: [{ id: 'tmt-0123456789abcdef0' }] }, detections: { appliance: { url: 'https://appliance.example.com', secretArn: APPLIANCE_SECRET } } },
    'the benchmark configuration',
  );
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  const maps = (Array.isArray(doc.functions) ? doc.functions : [doc.functions]).filter(isObject) as Record<string, unknown>[];
  const functions = maps.flatMap((m) => Object.values(m)).filter(isObject) as Fn[];
  const declared = [...(Object.values(detectionFunctions(stage, 'bench')) as Fn[]), ...functions];
  // A setting serverless.yml takes from deploy/serverless.js (which re-exports deploy/stage-config.ts) is resolved as osls resolves it.
  const variables = (await import('../../deploy/stage-config.ts')) as Record<string, unknown>;
  const resolve = async (value: unknown): Promise<number | undefined> => {
    const variable = typeof value === 'string' ? /^\$\{file\(deploy\/serverless\.js\):(\w+)\}$/.exec(value)?.[1] : undefined;
    if (variable === undefined) return typeof value === 'number' ? value : undefined;
    const resolver = variables[variable];
    if (typeof resolver !== 'function') throw new Error(`serverless.yml: deploy/stage-config.ts has no ${variable}`);
    return Number(await (resolver as () => Promise<unknown>)());
  };
  for (const fn of functions) {
    fn.memorySize = await resolve(fn.memorySize);
    fn.timeout = await resolve(fn.timeout);
  }
  return (file) => {
    const fn = declared.find((f) => f.handler === `functions/${file}.handler`);
    return { memoryMb: fn?.memorySize ?? fallback.memoryMb, timeoutSeconds: fn?.timeout ?? fallback.timeoutSeconds, declared: fn !== undefined };
  };
}

/** Memory and timeout of the two detection Lambdas as the deployed stack has them. */
export async function lambdaSettings(): Promise<DetectionsResult['lambda']> {
  const of = await declaredLambdas();
  const poll = of('detections-poll');
  const process = of('detections-process');
  const source =
    poll.declared && process.declared
      ? 'deploy/stage-config.ts, per function'
      : `serverless.yml provider defaults (${[poll.declared ? '' : 'detections-poll', process.declared ? '' : 'detections-process'].filter(Boolean).join(' and ')} not declared there)`;
  return { poll: { memoryMb: poll.memoryMb, timeoutSeconds: poll.timeoutSeconds }, process: { memoryMb: process.memoryMb, timeoutSeconds: process.timeoutSeconds }, source };
}

export interface Container {
  ready: ContainerReady;
  invoke(event: unknown): Promise<InvocationReport>;
  stop(): void;
}

/** A container of `fn`, running its source or, with `bundle`, that built file. */
export async function startContainer(fn: ContainerFunction, env: NodeJS.ProcessEnv, settings: LambdaSettings, bundle?: string): Promise<Container> {
  // No inherited flags (a test runner's, an inspector's): the container runs as Lambda's Node would.
  const child: ChildProcess = fork(CONTAINER, bundle ? [fn, bundle] : [fn], { env, execArgv: [], stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  const pending = new Map<number, (report: InvocationReport) => void>();
  let nextId = 0;
  let failure: Error | undefined;
  const ready = await new Promise<ContainerReady>((resolve, reject) => {
    child.on('message', (message: { kind: string; id?: number; report?: InvocationReport; error?: string }) => {
      if (message.kind === 'ready') resolve(message as unknown as ContainerReady);
      else if (message.kind === 'done' && message.id !== undefined) pending.get(message.id)?.(message.report as InvocationReport);
      else if (message.kind === 'failed') reject(new Error(`${fn} container: ${message.error}`));
    });
    child.on('exit', (code) => {
      failure = new Error(`${fn} container exited (${code}): ${stderr.trim()}`);
      reject(failure);
      for (const [, settle] of pending) settle({ response: undefined, error: failure.message, ms: 0, calls: [], heapBefore: 0, heapPeak: 0, maxRss: 0, cpuMs: 0 });
    });
  });
  return {
    ready,
    invoke: (event) =>
      new Promise<InvocationReport>((resolve) => {
        if (failure) throw failure;
        const id = nextId++;
        pending.set(id, (report) => {
          pending.delete(id);
          resolve(report);
        });
        child.send({ kind: 'invoke', id, event, timeoutMs: settings.timeoutSeconds * 1000, memoryMb: settings.memoryMb });
      }),
    stop: () => {
      child.removeAllListeners('exit');
      child.kill();
    },
  };
}

function memoryOf(ready: ContainerReady, reports: readonly InvocationReport[]): ContainerMemory {
  const growth = reports.map((r) => r.heapPeak - r.heapBefore);
  return {
    runtimeRss: ready.runtime.rss,
    loadedRss: ready.loaded.rss,
    importMs: ready.importMs,
    peakRss: Math.max(ready.loaded.rss, ...reports.map((r) => r.maxRss)),
    peakHeapUsed: Math.max(ready.loaded.heapUsed, ...reports.map((r) => r.heapPeak)),
    invocationHeapGrowth: { max: Math.max(0, ...growth), median: percentile(growth, 50), p95: percentile(growth, 95) },
  };
}

function count(into: Record<string, number>, key: string, by = 1): void {
  into[key] = (into[key] ?? 0) + by;
}

function sqsRecord(m: Message) {
  return {
    messageId: m.MessageId!,
    receiptHandle: m.ReceiptHandle!,
    body: m.Body!,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: ACCOUNT, ApproximateFirstReceiveTimestamp: '0' },
    messageAttributes: {},
    md5OfBody: m.MD5OfBody!,
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:us-east-1:${ACCOUNT}:autotap-bench-detections`,
    awsRegion: 'us-east-1',
  };
}

async function runOnce(window: DetectionWindow, params: DetectionsParams, batchSize: number, lambda: DetectionsResult['lambda']): Promise<DetectionsRun> {
  const progress = params.onProgress ?? (() => undefined);
  const appliance = await startBenchAppliance(window.records, { disorderShare: params.disorderShare });
  const emulator = await startEmulator({
    topics: Object.values(TOPICS),
    queues: ['autotap-bench-detections', 'autotap-bench-slack'],
    secrets: [
      { arn: APPLIANCE_SECRET, value: JSON.stringify({ apiKey: appliance.apiKey }) },
      { arn: SLACK_SECRET, value: JSON.stringify({ webhookUrl: 'https://hooks.slack.invalid/services/T0/B0/x' }) },
    ],
  });
  const dynamo = await startDynalite();
  const containers: Container[] = [];
  const sqs = new SQSClient({ endpoint: emulator.endpoint, region: emulator.region, credentials: CREDENTIALS, maxAttempts: 1 });
  try {
    const tableName = await createDetectionsTable(dynamo.endpoint);
    dynamo.resetRequests();
    const queueUrl = emulator.queueUrl('autotap-bench-detections');
    const slackQueueUrl = emulator.queueUrl('autotap-bench-slack');
    const config = {
      mirroring: { filterId: 'tmf-0123456789abcdef0', targets: [{ id: 'tmt-0123456789abcdef0' }] },
      detections: {
        appliance: { url: appliance.url, auth: 'apikey', secretArn: APPLIANCE_SECRET },
        poll: { enabled: true, pageSize: params.pageSize },
        slack: { secretArn: SLACK_SECRET },
      },
    };
    const parsed = parseConfig(config, 'the benchmark configuration');
    const env = containerEnv(emulator, dynamo.endpoint, config, { tableName, queueUrl, slackQueueUrl, records: window.records });

    const started = performance.now();
    const poller = await startContainer('detections-poll', env, lambda.poll);
    containers.push(poller);
    // Scheduled polls, one after the other, until one reaches the end of the backlog (bounded, so that a poll making no progress ends the run).
    const pollReports: InvocationReport[] = [];
    let pollResponse = { outcome: 'incomplete', pages: 0, enqueued: 0 };
    let pages = 0;
    let enqueued = 0;
    while (pollResponse.outcome === 'incomplete' && pollReports.length < 50) {
      const report = await poller.invoke({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} });
      pollReports.push(report);
      if (report.error) throw new Error(`the poll failed: ${report.error}`);
      pollResponse = report.response as typeof pollResponse;
      pages += pollResponse.pages;
      enqueued += pollResponse.enqueued;
      progress(`  poll ${pollReports.length}: ${pollResponse.outcome}, ${pollResponse.pages} pages, ${pollResponse.enqueued} enqueued`);
    }
    const pollMs = performance.now() - started;
    const pollReport = { calls: pollReports.flatMap((r) => r.calls), ms: pollReports.reduce((a, r) => a + r.ms, 0) };

    const processStarted = performance.now();
    const processor = await startContainer('detections-process', env, lambda.process);
    containers.push(processor);
    const reports: InvocationReport[] = [];
    const bodies: string[] = [];
    const eventSource: Record<string, number> = {};
    let batchItemFailures = 0;
    let failedInvocations = 0;
    let recordsDelivered = 0;
    const sizes: number[] = [];
    // A bound on redeliveries, so that a processor failing every batch ends the run instead of looping.
    const maxInvocations = 3 * Math.ceil(window.records.length / batchSize) + 20;
    let lastProgress = performance.now();
    for (let invocation = 0; invocation < maxInvocations; invocation += 1) {
      // The event source mapping gathers up to BatchSize records, 10 per ReceiveMessage.
      const messages: Message[] = [];
      while (messages.length < batchSize) {
        const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: Math.min(10, batchSize - messages.length), VisibilityTimeout: 900 }));
        count(eventSource, 'ReceiveMessage');
        if (!out.Messages?.length) break;
        messages.push(...out.Messages);
      }
      if (messages.length === 0) break;
      const records = messages.map(sqsRecord);
      const report = await processor.invoke({ Records: records });
      reports.push(report);
      recordsDelivered += records.length;
      sizes.push(records.length);
      let failed: Set<string>;
      if (report.error) {
        failedInvocations += 1;
        failed = new Set(records.map((r) => r.messageId));
      } else {
        failed = new Set(((report.response as { batchItemFailures?: { itemIdentifier: string }[] })?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
        batchItemFailures += failed.size;
      }
      const done = records.filter((r) => !failed.has(r.messageId));
      // Only settled deliveries count for the expected fan-out; a failed one is decided on its redelivery.
      for (const r of done) bodies.push(r.body);
      for (let i = 0; i < done.length; i += 10) {
        await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: done.slice(i, i + 10).map((r, k) => ({ Id: `d${k}`, ReceiptHandle: r.receiptHandle })) }));
        count(eventSource, 'DeleteMessageBatch');
      }
      for (const r of records.filter((x) => failed.has(x.messageId))) {
        await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: r.receiptHandle, VisibilityTimeout: 0 }));
        count(eventSource, 'ChangeMessageVisibility');
      }
      if (performance.now() - lastProgress > 10_000) {
        lastProgress = performance.now();
        progress(`  process (batch ${batchSize}): ${recordsDelivered} records in ${reports.length} invocations, ${((performance.now() - processStarted) / 1000).toFixed(0)} s`);
      }
    }
    const processMs = performance.now() - processStarted;
    const wallMs = performance.now() - started;

    // What reached SNS, read back from the emulator.
    const published = emulator.published();
    const onTopic = (arn: string) => published.filter((m) => m.topicArn === arn);
    const detectionKeys = onTopic(TOPICS.detections).map((m) => detectionsMessageKey(m.message));
    const emailKeys = onTopic(TOPICS.email).map((m) => emailMessageKey(m.message, m.messageAttributes.event?.value));
    const expected = expectedFanout(bodies, lifecyclePolicy(parsed.detections!), { applianceUrl: appliance.url });

    const processorCalls = reports.flatMap((r) => r.calls);
    const allCalls: AwsCall[] = [...pollReport.calls, ...processorCalls];
    const topicFigures = (arn: string, keys: string[]): TopicFigures => {
      const batches = processorCalls.filter((c) => c.command === 'PublishBatch' && c.target === arn);
      const messages = onTopic(arn).length;
      return {
        publishBatchCalls: batches.length,
        publishCalls: processorCalls.filter((c) => c.command === 'Publish' && c.target === arn).length,
        messages,
        floor: publishBatchFloor(messages),
        largestBatch: Math.max(0, ...batches.map((c) => c.entries ?? 0)),
        repeated: repeatedKeys(keys),
      };
    };
    const dynamoCommands = new Set(['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query', 'BatchWriteItem', 'BatchGetItem', 'TransactWriteItems']);
    const byCommand: Record<string, number> = {};
    for (const c of allCalls) if (dynamoCommands.has(c.command)) count(byCommand, c.command);
    const dynamoTotal = Object.values(byCommand).reduce((a, b) => a + b, 0);
    const pollSends = pollReport.calls.filter((c) => c.command === 'SendMessageBatch');
    const slackSends = processorCalls.filter((c) => c.command === 'SendMessageBatch' && c.target === slackQueueUrl);

    return {
      sqsBatchSize: batchSize,
      poll: { outcome: pollResponse.outcome, polls: pollReports.length, pages, enqueued, searches: appliance.searches, ms: pollReport.ms, response: pollResponse },
      processor: {
        invocations: reports.length,
        recordsDelivered,
        batchItemFailures,
        failedInvocations,
        records: { min: Math.min(...sizes), max: Math.max(...sizes) },
      },
      expected: { changes: expected.changes, notifications: expected.notifications, stale: expected.stale, byEvent: expected.byEvent },
      topics: {
        detections: topicFigures(TOPICS.detections, detectionKeys),
        email: topicFigures(TOPICS.email, emailKeys),
        ops: { publishCalls: processorCalls.filter((c) => c.command === 'Publish' && c.target === TOPICS.ops).length, messages: onTopic(TOPICS.ops).length },
      },
      mismatches: {
        detectionsMissing: missingFrom(expected.changeKeys, detectionKeys).slice(0, 5),
        detectionsExtra: missingFrom(detectionKeys, expected.changeKeys).slice(0, 5),
        emailMissing: missingFrom(expected.notificationKeys, emailKeys).slice(0, 5),
        emailExtra: missingFrom(emailKeys, expected.notificationKeys).slice(0, 5),
      },
      slack: { sendMessageBatchCalls: slackSends.length, messages: emulator.queueMessages('autotap-bench-slack').length },
      sqs: {
        pollSendMessageBatch: pollSends.length,
        pollEntries: pollSends.reduce((a, c) => a + (c.entries ?? 0), 0),
        largestBatch: Math.max(0, ...pollSends.map((c) => c.entries ?? 0)),
        eventSource,
      },
      dynamodb: {
        byCommand,
        conditionalFailures: allCalls.filter((c) => c.error === 'ConditionalCheckFailedException').length,
        total: dynamoTotal,
        perRecord: dynamoTotal / Math.max(1, recordsDelivered),
        httpRequests: dynamo.requests(),
      },
      emulatorCalls: emulator.calls(),
      time: { pollMs, processMs, wallMs, detectionsPerSecond: window.records.length / (wallMs / 1000) },
      memory: { poll: memoryOf(poller.ready, pollReports), process: memoryOf(processor.ready, reports) },
    };
  } finally {
    for (const c of containers) c.stop();
    sqs.destroy();
    await Promise.all([emulator.close(), appliance.close(), dynamo.close()]);
  }
}

export async function runDetectionsBench(input: Partial<DetectionsParams> = {}): Promise<DetectionsResult> {
  const params: DetectionsParams = { ...DEFAULT_DETECTIONS, ...input, window: input.window ?? {} };
  const progress = params.onProgress ?? (() => undefined);
  const window = generateWindow(params.window);
  const lambda = await lambdaSettings();
  const runs: DetectionsRun[] = [];
  for (const batchSize of [params.sqsBatchSize, ...params.compareBatchSizes.filter((b) => b !== params.sqsBatchSize)]) {
    progress(`detections: ${window.records.length.toLocaleString('en-US')} detections, SQS batch size ${batchSize} ...`);
    runs.push(await runOnce(window, params, batchSize, lambda));
  }
  let backlog: DetectionsResult['backlog'];
  if (params.backlog > 0) {
    progress(`detections: a backlog of ${params.backlog.toLocaleString('en-US')} detections after an outage, SQS batch size ${BACKLOG_BATCH_SIZE} ...`);
    const outage = generateWindow({ detections: params.backlog, updateShare: 0, duplicateShare: 0, seed: window.params.seed });
    backlog = { detections: params.backlog, run: await runOnce(outage, params, BACKLOG_BATCH_SIZE, lambda) };
  }
  return {
    params: { pageSize: params.pageSize, sqsBatchSize: params.sqsBatchSize, compareBatchSizes: params.compareBatchSizes, disorderShare: params.disorderShare, backlog: params.backlog, window: window.params },
    lambda,
    window: window.counts,
    runs,
    ...(backlog ? { backlog } : {}),
    targets: [],
  };
}
