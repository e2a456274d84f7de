import { parseBenchArgs } from '../../local/bench/command.ts';
import { disorder } from '../../local/bench/detections-appliance.ts';
import { detectionsMessageKey, emailMessageKey, expectedFanout, missingFrom, publishBatchFloor, repeatedKeys } from '../../local/bench/detections-metrics.ts';
import { generateWindow } from '../../local/bench/detections-scenario.ts';
import { DEFAULT_LIFECYCLE_POLICY } from '../../src/detections/lifecycle.ts';
import { normalizeDetection } from '../../src/detections/normalize.ts';
import { detectionsTopicEntry, emailTopicEntry } from '../../src/detections/publish.ts';

/** The detections half's formulas and scenario, on known numbers. */

describe('detections benchmark arithmetic', () => {
  it('PublishBatch floor: 10 entries per call', () => {
    expect(publishBatchFloor(0)).toBe(0);
    expect(publishBatchFloor(1)).toBe(1);
    expect(publishBatchFloor(10)).toBe(1);
    expect(publishBatchFloor(9_401)).toBe(941);
  });

  it('repeated and missing keys are multiset differences', () => {
    expect(repeatedKeys(['a', 'b', 'a', 'a'])).toBe(2);
    expect(missingFrom(['a', 'a', 'b'], ['a', 'c'])).toEqual(['a', 'b']);
  });

  it('the expected fan-out publishes a duplicate once and an older version never', () => {
    const window = generateWindow({ detections: 3, updateShare: 0, duplicateShare: 0, seed: 1 });
    const [first] = window.records as Record<string, unknown>[];
    const later = { ...first, mod_time: (first!.mod_time as number) + 60_000, risk_score: 99 };
    const bodies = [first, first, later, first].map((r) => JSON.stringify(r));
    const expected = expectedFanout(bodies, DEFAULT_LIFECYCLE_POLICY);
    expect(expected.stale).toBe(2);
    expect(expected.changes).toBe(2);
    expect(expected.changeKeys.map((k) => k.split('#')[2])).toEqual(['new', 'escalated']);
  });

  it('reads the same key from both topics\' messages', () => {
    const [raw] = generateWindow({ detections: 1, updateShare: 0, duplicateShare: 0 }).records;
    const d = normalizeDetection(raw);
    const key = `${d.id}#${d.modTime}#new`;
    expect(detectionsMessageKey(detectionsTopicEntry(d, 'new').Message)).toBe(key);
    expect(emailMessageKey(emailTopicEntry(d, 'new').Message, 'new')).toBe(key);
  });
});

describe('the detection window', () => {
  it('is seeded, sorted by mod_time, and holds the asked mix', () => {
    const a = generateWindow({ detections: 1000 });
    expect(generateWindow({ detections: 1000 }).records).toEqual(a.records);
    expect(a.records).toHaveLength(1000);
    expect(a.counts.duplicates).toBe(50);
    expect(Object.values(a.counts.updates).reduce((x, y) => x + y, 0)).toBe(150);
    const times = a.records.map((r) => r.mod_time as number);
    expect([...times].sort((x, y) => x - y)).toEqual(times);
    expect(a.counts.bands.low).toBeGreaterThan(0);
    expect(a.counts.bands.high).toBeGreaterThan(0);
    // Every record is a valid REST detection.
    for (const r of a.records) expect(() => normalizeDetection(r)).not.toThrow();
  });

  it('pages come a little out of order, the same way every time', () => {
    const page = Array.from({ length: 100 }, (_, i) => i);
    const shuffled = disorder(page, 0.1, 1);
    expect(shuffled).toEqual(disorder(page, 0.1, 1));
    expect(shuffled).not.toEqual(page);
    expect([...shuffled].sort((x, y) => x - y)).toEqual(page);
  });
});

describe('detections options', () => {
  it('defaults, --quick, --only and invalid values', () => {
    const defaults = parseBenchArgs([]);
    expect(defaults.runMirroring).toBe(true);
    expect(defaults.detections).toMatchObject({ window: { detections: 10_000 }, pageSize: 1000, sqsBatchSize: 10, compareBatchSizes: [100] });
    expect(parseBenchArgs(['--quick']).detections?.window?.detections).toBe(300);
    expect(parseBenchArgs(['--only', 'detections']).runMirroring).toBe(false);
    expect(parseBenchArgs(['--only', 'mirroring']).detections).toBeNull();
    expect(parseBenchArgs(['--skip-detections']).detections).toBeNull();
    expect(parseBenchArgs(['--compare-batch-sizes', '']).detections?.compareBatchSizes).toEqual([]);
    expect(parseBenchArgs(['--only', 'bundles'])).toMatchObject({ runMirroring: false, detections: null, fleet: null, peers: null, bundles: true });
    expect(() => parseBenchArgs(['--only', 'bundles', '--skip-bundles'])).toThrow(/--only bundles and --skip-bundles/);
    expect(() => parseBenchArgs(['--only', 'latency'])).toThrow(/--only latency/);
    expect(() => parseBenchArgs(['--sqs-batch-size', '0'])).toThrow(/--sqs-batch-size 0/);
  });
});
