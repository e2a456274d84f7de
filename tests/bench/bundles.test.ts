import {
  BUNDLED_DETECTIONS,
  BUNDLED_MIRRORING,
  BUNDLED_ORGANIZATION,
  loadStageConfig,
} from '../../deploy/stage-config.ts';
import { BENCH_STAGE, packagingOptions, pairedRatio, pairOrder } from '../../local/bench/bundles.ts';

describe('bench bundles', () => {
  it('builds with the define packaging gives the stage: its validated mirroring, detections and organization sections', async () => {
    const { options } = await packagingOptions();
    const config = loadStageConfig(BENCH_STAGE);
    expect(Object.keys(options.define ?? {}).sort()).toEqual([BUNDLED_DETECTIONS, BUNDLED_MIRRORING, BUNDLED_ORGANIZATION].sort());
    expect(JSON.parse(JSON.parse(options.define?.[BUNDLED_MIRRORING] as string) as string)).toEqual(config.mirroring);
    expect(JSON.parse(JSON.parse(options.define?.[BUNDLED_DETECTIONS] as string) as string)).toEqual(config.detections ?? null);
    expect(JSON.parse(JSON.parse(options.define?.[BUNDLED_ORGANIZATION] as string) as string)).toEqual(null);
  });

  it('reports the median of per-round ratios, not the ratio of medians', () => {
    // Round 2 ran on a slow machine: both loads doubled. Its ratio is still 1.1.
    const lambda = [110, 110, 440, 115, 330];
    const floor = [100, 100, 400, 100, 300];
    const { ratio, samples } = pairedRatio(lambda, floor);
    [1.1, 1.1, 1.1, 1.15, 1.1].forEach((expected, i) => expect(samples[i]).toBeCloseTo(expected, 10));
    expect(ratio).toBeCloseTo(1.1, 10);
    // Unpaired medians over the same samples: 115 / 100.
    expect(ratio).not.toBeCloseTo(1.15, 2);
    expect(() => pairedRatio([1, 2], [1])).toThrow(/differ in length/);
  });

  it('alternates which of the pair loads first', () => {
    expect([0, 1, 2, 3].map((round) => pairOrder(round, 'lambda', 'floor')[0])).toEqual(['floor', 'lambda', 'floor', 'lambda']);
  });
});
