import { expect, test } from '@jest/globals';
import { pollMetrics, processMetrics, webhookMetrics } from '../../src/detections/metrics.ts';

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
        { outcome: 'delivered', notified: true },
        { outcome: 'delivered', notified: false },
        { outcome: 'stale' },
        { outcome: 'failed' },
      ],
      parked: [{}, {}],
    }),
  ).toEqual([
    { name: 'DetectionsNotified', values: [1] },
    { name: 'DetectionsParked', values: [2], dimensions: { Stage: 'process' } },
  ]);
});
