import type { DetectionsResult, DetectionsRun } from './detections.ts';
import type { PageTimingResult } from './detections-page.ts';
import { MB } from './detections-metrics.ts';
import { n, table } from './render.ts';

/** The detections half's printed tables (also pasted into bench/README.md). */

const mb = (bytes: number) => `${n(bytes / MB, 1)} MB`;
const s = (ms: number) => `${n(ms / 1000, 1)} s`;
const vsFloor = (calls: number, floor: number) => (floor > 0 ? `${(calls / floor).toFixed(2)}x` : '-');

export function renderDetections(d: DetectionsResult): string {
  const run = d.runs[0];
  if (!run) return 'Detections: no run.';
  const w = d.window;
  const u = w.updates;
  const out: string[] = [];
  out.push(
    `Window: ${n(w.records)} detections in one poll window: ${n(w.firstSightings)} first sightings (risk 1-30: ${n(w.bands.low)}, 31-79: ${n(w.bands.medium)}, 80-99: ${n(w.bands.high)}; ${w.types} types), ` +
      `${n(u['risk-raised'] + u['new-victim'] + u.triage + u.closed)} updates (risk raised ${n(u['risk-raised'])}, new victim ${n(u['new-victim'])}, triage ${n(u.triage)}, closed ${n(u.closed)}), ${n(w.duplicates)} exact duplicates.`,
    `Page size ${n(d.params.pageSize)}, ${(d.params.disorderShare * 100).toFixed(0)}% of neighbours swapped within a page; SQS batch size ${run.sqsBatchSize}. ` +
      `Lambdas: poll ${d.lambda.poll.memoryMb} MB / ${d.lambda.poll.timeoutSeconds} s, process ${d.lambda.process.memoryMb} MB / ${d.lambda.process.timeoutSeconds} s (${d.lambda.source}).`,
    '',
  );

  const redelivered = run.processor.recordsDelivered - run.poll.enqueued;
  const db = run.dynamodb;
  out.push(
    table(
      [`Detections path (SQS batch ${run.sqsBatchSize})`, 'value'],
      [
        ['polls: count, last outcome, pages, searches', `${run.poll.polls}, ${run.poll.outcome}, ${run.poll.pages} pages, ${run.poll.searches} searches`],
        ['poll: SendMessageBatch to the queue', `${n(run.sqs.pollSendMessageBatch)} calls, ${n(run.sqs.pollEntries)} entries (at most ${run.sqs.largestBatch} per call)`],
        ['processor invocations', `${n(run.processor.invocations)} (${run.processor.records.min}-${run.processor.records.max} records each)`],
        ['records processed', `${n(run.processor.recordsDelivered)} (${n(redelivered)} redelivered: ${n(run.processor.batchItemFailures)} batch item failures, ${run.processor.failedInvocations} failed invocations)`],
        ['changes: expected / on detections topic', `${n(run.expected.changes)} / ${n(run.topics.detections.messages)}`],
        ['notifications: expected / on email topic', `${n(run.expected.notifications)} / ${n(run.topics.email.messages)}`],
        ['  by event', Object.entries(run.expected.byEvent).map(([e, c]) => `${e} ${n(c)}`).join(', ')],
        ['no message (duplicate or older)', n(run.expected.stale)],
        ['published twice / lost / extra', `${run.topics.detections.repeated + run.topics.email.repeated} / ${run.mismatches.detectionsMissing.length + run.mismatches.emailMissing.length} / ${run.mismatches.detectionsExtra.length + run.mismatches.emailExtra.length}`],
        ['Slack queue', `${n(run.slack.messages)} messages, ${n(run.slack.sendMessageBatchCalls)} SendMessageBatch calls`],
        ['DynamoDB calls', `${n(db.total)} (${Object.entries(db.byCommand).map(([c, k]) => `${c} ${n(k)}`).join(', ')}); ${n(db.perRecord, 2)} per record; ${n(db.conditionalFailures)} conditional failures; dynalite saw ${n(db.httpRequests)}`],
        ['time', `${s(run.time.wallMs)} (poll ${s(run.time.pollMs)}, processing ${s(run.time.processMs)}): ${n(run.time.detectionsPerSecond)} detections/s`],
      ],
      [1],
    ),
    '',
  );

  out.push(
    table(
      ['SNS topic', 'messages', 'PublishBatch calls', 'ceil(messages/10)', 'calls / that', 'largest batch', 'Publish calls'],
      (['detections', 'email'] as const).map((topic) => {
        const t = run.topics[topic];
        return [topic, n(t.messages), n(t.publishBatchCalls), n(t.floor), vsFloor(t.publishBatchCalls, t.floor), String(t.largestBatch), n(t.publishCalls)];
      }),
    ),
    `(ceil(n/10) for all ${n(w.records)} detections: ${n(Math.ceil(w.records / 10))}; emulator log: ${n(run.emulatorCalls.PublishBatch ?? 0)} PublishBatch, ${n(run.emulatorCalls.SendMessageBatch ?? 0)} SendMessageBatch)`,
    '',
  );

  const mem = run.memory;
  const memRow = (label: string, f: (m: DetectionsRun['memory']['poll']) => string) => [label, f(mem.poll), f(mem.process)];
  out.push(
    table(
      ['Memory (one container each)', 'detections-poll', 'detections-process'],
      [
        ['Lambda memory', `${d.lambda.poll.memoryMb} MB`, `${d.lambda.process.memoryMb} MB`],
        memRow('RSS: runtime started', (m) => mb(m.runtimeRss)),
        memRow('RSS: handler imported', (m) => mb(m.loadedRss)),
        memRow('RSS: peak', (m) => mb(m.peakRss)),
        memRow('heapUsed: peak', (m) => mb(m.peakHeapUsed)),
        memRow('heap growth per invocation: max', (m) => mb(m.invocationHeapGrowth.max)),
        memRow('  median / p95', (m) => `${mb(m.invocationHeapGrowth.median)} / ${mb(m.invocationHeapGrowth.p95)}`),
      ],
    ),
    '',
  );

  out.push(
    table(
      ['SQS batch size', 'invocations', 'redelivered', 'PublishBatch detections', 'PublishBatch email', 'DynamoDB calls', 'time', 'detections/s', 'process peak RSS', 'heap per invocation (max)'],
      d.runs.map((r) => [
        String(r.sqsBatchSize),
        n(r.processor.invocations),
        n(r.processor.recordsDelivered - r.poll.enqueued),
        `${n(r.topics.detections.publishBatchCalls)} (${vsFloor(r.topics.detections.publishBatchCalls, r.topics.detections.floor)})`,
        `${n(r.topics.email.publishBatchCalls)} (${vsFloor(r.topics.email.publishBatchCalls, r.topics.email.floor)})`,
        n(r.dynamodb.total),
        s(r.time.wallMs),
        n(r.time.detectionsPerSecond),
        mb(r.memory.process.peakRss),
        mb(r.memory.process.invocationHeapGrowth.max),
      ]),
    ),
    '(PublishBatch: calls and, in brackets, calls / ceil(messages on the topic / 10))',
  );
  if (d.backlog) out.push('', renderBacklog(d.backlog.detections, d.backlog.run, d));
  if (d.page) out.push('', renderPage(d.page));
  return out.join('\n');
}

/** The backlog drain: polls needed, what was published, nothing lost or doubled, peak RSS per Lambda. */
function renderBacklog(detections: number, run: DetectionsRun, d: DetectionsResult): string {
  const doubled = run.topics.detections.repeated + run.topics.email.repeated;
  // Every expected message not on its topic once.
  const lost = Math.max(0, run.expected.changes - (run.topics.detections.messages - run.topics.detections.repeated)) + Math.max(0, run.expected.notifications - (run.topics.email.messages - run.topics.email.repeated));
  return [
    `Backlog drain: ${n(detections)} detections waiting after an outage (first sightings), page size ${n(d.params.pageSize)}, scheduled polls one after the other until one reaches the end; SQS batch size ${run.sqsBatchSize}.`,
    '',
    table(
      ['Backlog drain', 'value'],
      [
        ['polls needed', `${run.poll.polls} (last: ${run.poll.outcome}), ${n(run.poll.pages)} pages, ${n(run.poll.searches)} searches`],
        ['queued by the polls', n(run.poll.enqueued)],
        ['published: detections topic / email topic', `${n(run.topics.detections.messages)} / ${n(run.topics.email.messages)} (expected ${n(run.expected.changes)} / ${n(run.expected.notifications)})`],
        ['lost / doubled (detections + email topics)', `${lost} / ${doubled}`],
        ['processor invocations', n(run.processor.invocations)],
        ['time: polls / processing', `${s(run.time.pollMs)} / ${s(run.time.processMs)}`],
        ['peak RSS: poll / process', `${mb(run.memory.poll.peakRss)} / ${mb(run.memory.process.peakRss)} (limits ${d.lambda.poll.memoryMb} MB / ${d.lambda.process.memoryMb} MB)`],
      ],
    ),
  ].join('\n');
}

/** The poll's largest page on a slow queue: how long it takes, how many polls, and the speed-up of sending in parallel. */
export function renderPage(p: PageTimingResult): string {
  const perPage = p.poll.polls === 1 ? 'one poll' : `${p.poll.polls} polls`;
  return [
    `Largest page: ${n(p.params.detections)} detections in one page (pageSize ${n(p.params.detections)}), every SQS call ${p.params.sqsLatencyMs} ms slower; the poll at ${p.lambda.memoryMb} MB / ${p.lambda.timeoutSeconds} s.`,
    '',
    table(
      ['Largest page', 'value'],
      [
        ['polls to queue the page', `${perPage} (last: ${p.poll.outcome}), ${s(p.poll.seconds * 1000)} in all`],
        ['queued / distinct', `${n(p.poll.queued)} / ${n(p.poll.distinct)}`],
        ['SendMessageBatch calls of the polls', n(p.poll.sendMessageBatch)],
        ['peak RSS, detections-poll', `${mb(p.poll.peakRss)} (limit ${p.lambda.memoryMb} MB)`],
        [`enqueue: one call at a time / ${p.params.concurrency} at a time`, `${s(p.enqueue.sequentialSeconds * 1000)} / ${s(p.enqueue.parallelSeconds * 1000)} (${p.enqueue.speedup.toFixed(1)}x)`],
      ],
    ),
  ].join('\n');
}
