import { performance } from 'node:perf_hooks';
import { SQSClient } from '@aws-sdk/client-sqs';
import { queueJson, sendMessages, SQS_SEND_CONCURRENCY } from '../../src/aws/sqs.ts';
import { MAX_SEARCH_LIMIT } from '../../src/detections/ingest/search.ts';
import { startEmulator } from '../emulator/index.ts';
import { startBenchAppliance } from './detections-appliance.ts';
import {
  APPLIANCE_SECRET,
  BENCH_QUEUES,
  containerEnv,
  createDetectionsTable,
  CREDENTIALS,
  lambdaSettings,
  startContainer,
  TOPICS,
} from './detections.ts';
import { startDynalite } from '../dynamodb.ts';
import { generateWindow } from './detections-scenario.ts';
import { ratio } from './metrics.ts';

/**
 * The poll's largest page: `pageSize` 20,000 (the appliance's search limit) of first sightings, with
 * every SQS call slowed by `sqsLatencyMs` on the emulator. The real poll handler runs in a container
 * with the deployed timeout; beside it the same page's bodies are sent once one call at a time (the
 * baseline) and once SQS_SEND_CONCURRENCY calls at a time, so the speed-up is a ratio of one run.
 * The latency is a model parameter, not an AWS figure: SQS documents no latency.
 */

export interface PageTimingParams {
  detections: number;
  sqsLatencyMs: number;
}

export const DEFAULT_PAGE_TIMING: PageTimingParams = { detections: MAX_SEARCH_LIMIT, sqsLatencyMs: 20 };

export interface PageTimingResult {
  params: PageTimingParams & { concurrency: number };
  lambda: { memoryMb: number; timeoutSeconds: number };
  /** The real poll handler over one page of `detections`, at the deployed timeout. */
  poll: { outcome: string; polls: number; enqueued: number; queued: number; distinct: number; seconds: number; sendMessageBatch: number; peakRss: number };
  /** The page's bodies sent by sendMessages alone, one call at a time and SQS_SEND_CONCURRENCY at a time. */
  enqueue: { sequentialSeconds: number; parallelSeconds: number; speedup: number };
}

export async function runPageTiming(input: Partial<PageTimingParams> = {}, progress: (line: string) => void = () => undefined): Promise<PageTimingResult> {
  const params = { ...DEFAULT_PAGE_TIMING, ...input };
  const window = generateWindow({ detections: params.detections, updateShare: 0, duplicateShare: 0 });
  const appliance = await startBenchAppliance(window.records);
  const emulator = await startEmulator({
    topics: Object.values(TOPICS),
    queues: [BENCH_QUEUES.detections, BENCH_QUEUES.slack, 'autotap-bench-sequential', 'autotap-bench-parallel'],
    secrets: [{ arn: APPLIANCE_SECRET, value: JSON.stringify({ apiKey: appliance.apiKey }) }],
  });
  const dynamo = await startDynalite();
  const sqs = new SQSClient({ endpoint: emulator.endpoint, region: emulator.region, credentials: CREDENTIALS });
  const { poll: lambda } = await lambdaSettings();
  let stop = () => undefined as void;
  try {
    const tableName = await createDetectionsTable(dynamo.endpoint);
    const queueUrl = emulator.queueUrl(BENCH_QUEUES.detections);
    const config = {
      mirroring: { filterId: 'tmf-0123456789abcdef0', targets: [{ id: 'tmt-0123456789abcdef0' }] },
      detections: { appliance: { url: appliance.url, auth: 'apikey', secretArn: APPLIANCE_SECRET }, poll: { enabled: true, pageSize: MAX_SEARCH_LIMIT } },
    };
    const env = containerEnv(emulator, dynamo.endpoint, config, { tableName, queueUrl, slackQueueUrl: emulator.queueUrl(BENCH_QUEUES.slack), records: window.records });
    const poller = await startContainer('detections-poll', env, lambda);
    stop = () => poller.stop();
    emulator.setFaults({ latencyMs: params.sqsLatencyMs });
    progress(`detections page: one page of ${params.detections.toLocaleString('en-US')}, SQS ${params.sqsLatencyMs} ms a call ...`);
    const started = performance.now();
    let outcome = 'incomplete';
    let polls = 0;
    let enqueued = 0;
    let sends = 0;
    let peakRss = 0;
    while (outcome === 'incomplete' && polls < 20) {
      const report = await poller.invoke({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} });
      if (report.error) throw new Error(`the poll failed: ${report.error}`);
      const response = report.response as { outcome: string; enqueued: number };
      polls += 1;
      outcome = response.outcome;
      enqueued += response.enqueued;
      sends += report.calls.filter((c) => c.command === 'SendMessageBatch').length;
      peakRss = Math.max(peakRss, report.maxRss);
    }
    const seconds = (performance.now() - started) / 1000;
    const ids = emulator.queueMessages(BENCH_QUEUES.detections).map((m) => (JSON.parse(m.body) as { id: number }).id);

    const bodies = window.records.map(queueJson);
    const timed = async (queue: string, concurrency: number) => {
      const t0 = performance.now();
      await sendMessages(emulator.queueUrl(queue), bodies, sqs, concurrency);
      return (performance.now() - t0) / 1000;
    };
    const sequentialSeconds = await timed('autotap-bench-sequential', 1);
    const parallelSeconds = await timed('autotap-bench-parallel', SQS_SEND_CONCURRENCY);
    return {
      params: { ...params, concurrency: SQS_SEND_CONCURRENCY },
      lambda,
      poll: { outcome, polls, enqueued, queued: ids.length, distinct: new Set(ids).size, seconds, sendMessageBatch: sends, peakRss },
      enqueue: { sequentialSeconds, parallelSeconds, speedup: ratio(sequentialSeconds, parallelSeconds) },
    };
  } finally {
    stop();
    sqs.destroy();
    await Promise.all([emulator.close(), appliance.close(), dynamo.close()]);
  }
}
