import { expect, test } from '@jest/globals';
import { pollMetrics, processMetrics, slackMetrics, webhookMetrics } from '../../src/detections/metrics.ts';

test('a poll: what it queued and parked, and how far behind the newest detection it saw', () => {
  const now = Date.parse('2026-12-07T10:10:00.000Z');
  expect(pollMetrics({ enqueued: 12, parked: [{}], cursor: Date.parse('2026-12-07T10:00:00.000Z') }, now)).toEqual([
    { name: 'DetectionsReceived', values: [12], dimensions: { Source: 'poll' } },
    { name: 'DetectionsParked', values: [1], dimensions: { Stage: 'poll' } },
    { name: 'PollLagSeconds', values: [600] },
  ]);
  // No detection seen yet: a lag would be the age of the epoch.
  expect(pollMetrics({ enqueued: 0, parked: [], cursor: 0 }, now)).toEqual([
    { name: 'DetectionsReceived', values: [0], dimensions: { Source: 'poll' } },
  ]);
});

test('a push and a batch: received by way; notified are the delivered updates that notified, parked apart', () => {
  expect(webhookMetrics(3)).toEqual([{ name: 'DetectionsReceived', values: [3], dimensions: { Source: 'webhook' } }]);
  expect(
    processMetrics({
      reports: [
        { outcome: 'delivered', notified: true, trimmed: ['detections', 'email'] },
        { outcome: 'delivered', notified: false, trimmed: ['detections'] },
        { outcome: 'stale' },
        { outcome: 'failed' },
      ],
      parked: [{}, {}],
    }),
  ).toEqual([
    { name: 'DetectionsNotified', values: [1] },
    { name: 'DetectionsTrimmed', values: [2], dimensions: { Channel: 'detections' } },
    { name: 'DetectionsTrimmed', values: [1], dimensions: { Channel: 'email' } },
    { name: 'DetectionsParked', values: [2], dimensions: { Stage: 'process' } },
  ]);
});

test('a Slack batch: the 429s only when Slack answered some, and what went back to the queue always', () => {
  expect(slackMetrics({ problems: [{ kind: 'rate-limited' }, { kind: 'transient' }], failed: ['m-1'] })).toEqual([
    { name: 'SlackRateLimited', values: [1] },
    { name: 'SlackHandedBack', values: [1] },
  ]);
  expect(slackMetrics({ failed: [] })).toEqual([{ name: 'SlackHandedBack', values: [0] }]);
});
