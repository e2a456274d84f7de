import { parseBenchArgs, runBenchmark } from '../../local/bench/command.ts';
import type { DetectionsResult } from '../../local/bench/detections.ts';

/**
 * The quick detections run end to end: its figures must agree with each other, with the lifecycle
 * replayed on the delivery order, and with the emulator's and dynalite's own logs. No timing.
 */

let detections: DetectionsResult;
beforeAll(async () => {
  const results = await runBenchmark(parseBenchArgs(['--quick', '--only', 'detections', '--skip-bundles']));
  expect(results.mirroring).toBeNull();
  if (!results.detections) throw new Error('the detections half did not run');
  detections = results.detections;
}, 120_000);

describe('a quick detections run', () => {
  it('drains a backlog after an outage: every detection published once on the detections topic, nothing lost or doubled', () => {
    const backlog = detections.backlog;
    if (!backlog) throw new Error('no backlog run');
    expect(backlog.detections).toBe(2_000);
    expect(backlog.run.poll.outcome).toBe('committed');
    expect(backlog.run.poll.enqueued).toBe(2_000);
    expect(backlog.run.expected.changes).toBe(2_000);
    expect(backlog.run.topics.detections.messages).toBe(2_000);
    expect(backlog.run.topics.detections.repeated + backlog.run.topics.email.repeated).toBe(0);
    expect(backlog.run.mismatches).toEqual({ detectionsMissing: [], detectionsExtra: [], emailMissing: [], emailExtra: [] });
  });

  it('queues the largest page on a slow queue in one poll, each detection once, faster than one call at a time', () => {
    const page = detections.page;
    if (!page) throw new Error('no largest-page run');
    expect(page.params).toMatchObject({ detections: 2_000, sqsLatencyMs: 20, concurrency: 10 });
    expect(page.poll).toMatchObject({ outcome: 'committed', polls: 1, enqueued: 2_000, queued: 2_000, distinct: 2_000 });
    expect(page.poll.sendMessageBatch).toBe(200);
    // 200 calls of at least 20 ms each, one at a time: at least 4 s; ten at a time cannot be slower.
    expect(page.enqueue.sequentialSeconds).toBeGreaterThanOrEqual(4);
    expect(page.enqueue.parallelSeconds).toBeLessThan(page.enqueue.sequentialSeconds);
  });

  it('runs the window once at batch size 10 and once at 100', () => {
    expect(detections.window.records).toBe(300);
    expect(detections.runs.map((r) => r.sqsBatchSize)).toEqual([10, 100]);
    for (const run of detections.runs) {
      expect(run.poll.outcome).toBe('committed');
      expect(run.poll.enqueued).toBe(300);
      expect(run.sqs.pollEntries).toBe(300);
      expect(run.processor.failedInvocations).toBe(0);
      expect(run.processor.records.max).toBeLessThanOrEqual(run.sqsBatchSize);
      // Every record was processed once, plus the ones handed back for redelivery.
      expect(run.processor.recordsDelivered).toBe(run.poll.enqueued + run.processor.batchItemFailures);
    }
  });

  it('publishes exactly the expected notifications: every notifiable update once, duplicates never', () => {
    for (const run of detections.runs) {
      const { detections: topic, email } = run.topics;
      expect(topic.messages).toBe(run.expected.changes);
      expect(email.messages).toBe(run.expected.notifications);
      expect(topic.repeated).toBe(0);
      expect(email.repeated).toBe(0);
      expect(run.mismatches).toEqual({ detectionsMissing: [], detectionsExtra: [], emailMissing: [], emailExtra: [] });
      // Exact duplicates change nothing: they are among the deliveries that published nothing.
      expect(run.expected.stale).toBeGreaterThanOrEqual(detections.window.duplicates);
      expect(run.expected.changes + run.expected.stale).toBe(run.poll.enqueued);
      expect(email.messages).toBeLessThan(topic.messages);
    }
  });

  it('batches SNS at 10 entries at most and counts what the emulator logged', () => {
    for (const run of detections.runs) {
      const { detections: topic, email } = run.topics;
      expect(topic.largestBatch).toBeLessThanOrEqual(10);
      expect(email.largestBatch).toBeLessThanOrEqual(10);
      expect(topic.publishBatchCalls).toBeGreaterThanOrEqual(topic.floor);
      expect(email.publishBatchCalls).toBeGreaterThanOrEqual(email.floor);
      expect(run.emulatorCalls.PublishBatch).toBe(topic.publishBatchCalls + email.publishBatchCalls);
      expect(run.emulatorCalls.Publish ?? 0).toBe(topic.publishCalls + email.publishCalls + run.topics.ops.publishCalls);
      expect(run.emulatorCalls.SendMessageBatch).toBe(run.sqs.pollSendMessageBatch + run.slack.sendMessageBatchCalls);
      expect(run.emulatorCalls.ReceiveMessage).toBe(run.sqs.eventSource.ReceiveMessage);
      expect(run.sqs.pollSendMessageBatch).toBe(Math.ceil(300 / 10));
      expect(run.slack.messages).toBeLessThanOrEqual(email.messages);
    }
  });

  it('counts DynamoDB calls as dynalite saw them', () => {
    for (const run of detections.runs) {
      expect(run.dynamodb.total).toBe(run.dynamodb.httpRequests);
      // At least one read per record processed; a write and an outbox removal per change.
      expect(run.dynamodb.byCommand.GetItem).toBeGreaterThanOrEqual(run.processor.recordsDelivered);
      expect(run.dynamodb.byCommand.PutItem).toBeGreaterThanOrEqual(run.expected.changes);
    }
  });

  it('reports memory per container and evaluates the targets', () => {
    const run = detections.runs[0]!;
    for (const m of [run.memory.poll, run.memory.process]) {
      expect(m.peakRss).toBeGreaterThanOrEqual(m.loadedRss);
      expect(m.invocationHeapGrowth.max).toBeGreaterThanOrEqual(m.invocationHeapGrowth.median);
    }
    expect(detections.targets.map((t) => t.name)).toEqual([
      'PublishBatch calls, detections topic',
      'PublishBatch calls, email topic',
      'entries per PublishBatch',
      'messages published twice',
      'messages lost or extra vs expected',
      'peak RSS, detections-poll',
      'peak RSS, detections-process',
      'largest page: queued lost or twice',
      'largest page: polls to queue it',
      'peak RSS, detections-poll, largest page',
    ]);
    for (const t of detections.targets) expect(t.miss === '').toBe(t.pass);
  });
});
