import type { BundleResults } from './bundles.ts';
import type { DetectionsResult } from './detections.ts';
import { MB } from './detections-metrics.ts';
import { atMost, ratio, type TargetCheck } from './metrics.ts';

/** The detections path's targets, on the run at the configured SQS batch size (the first run). */

export const DETECTION_TARGETS = {
  /** PublishBatch calls per topic / ceil(messages on that topic / 10). */
  publishBatchToFloor: 1,
  maxEntriesPerPublishBatch: 10,
  repeatedMessages: 0,
  /** Load time of a detections-path bundle / the empty handler's. */
  loadToEmpty: 2,
};

/** The Lambdas a detection passes through: ingestion (poll or webhook), processing, and Slack. */
export const DETECTIONS_PATH_LAMBDAS = ['detections-poll', 'detections-webhook', 'detections-process', 'slack-notify'];

const int = (n: number) => String(Math.round(n));
const times = (n: number) => `${n.toFixed(2)}x`;
const mb = (n: number) => `${(n / MB).toFixed(0)} MB`;

export function evaluateDetectionsTargets(d: DetectionsResult, bundles: BundleResults | null): TargetCheck[] {
  const run = d.runs[0];
  if (!run) return [];
  const { detections, email } = run.topics;
  const lostOrExtra = (['detectionsMissing', 'detectionsExtra', 'emailMissing', 'emailExtra'] as const).reduce((n, k) => n + run.mismatches[k].length, 0);
  const checks: TargetCheck[] = [
    {
      ...atMost('PublishBatch calls, detections topic', detections.publishBatchCalls, detections.floor, int),
      target: `<= ${detections.floor} = ceil(${detections.messages}/10)`,
    },
    {
      ...atMost('PublishBatch calls, email topic', email.publishBatchCalls, email.floor, int),
      target: `<= ${email.floor} = ceil(${email.messages}/10)`,
    },
    atMost('entries per PublishBatch', Math.max(detections.largestBatch, email.largestBatch), DETECTION_TARGETS.maxEntriesPerPublishBatch, int),
    atMost('messages published twice', detections.repeated + email.repeated, DETECTION_TARGETS.repeatedMessages, int),
    atMost('messages lost or extra vs expected', lostOrExtra, 0, int),
    atMost('peak RSS, detections-poll', run.memory.poll.peakRss, d.lambda.poll.memoryMb * MB, mb),
    atMost('peak RSS, detections-process', run.memory.process.peakRss, d.lambda.process.memoryMb * MB, mb),
  ];
  if (d.page) {
    const p = d.page;
    checks.push(
      atMost('largest page: queued lost or twice', Math.abs(p.params.detections - p.poll.distinct) + (p.poll.queued - p.poll.distinct), 0, int),
      { ...atMost('largest page: polls to queue it', p.poll.polls, 1, int), target: '1 (fits the deployed timeout)' },
      atMost('peak RSS, detections-poll, largest page', p.poll.peakRss, p.lambda.memoryMb * MB, mb),
    );
  }
  if (bundles) {
    for (const name of DETECTIONS_PATH_LAMBDAS) {
      const b = bundles.functions.find((f) => f.name === name);
      if (b) checks.push(atMost(`load vs empty handler, ${name}`, ratio(b.loadMs, bundles.empty.loadMs), DETECTION_TARGETS.loadToEmpty, times));
    }
  }
  return checks;
}
