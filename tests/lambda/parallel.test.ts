import { describe, expect, test } from '@jest/globals';
import { forEachWithLimit } from '../../src/parallel.ts';

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

describe('forEachWithLimit', () => {
  test('never more than the limit in flight, every item once', async () => {
    let inFlight = 0;
    let most = 0;
    const seen: number[] = [];
    await forEachWithLimit(
      Array.from({ length: 25 }, (_, i) => i),
      4,
      async (item, index) => {
        expect(index).toBe(item);
        inFlight += 1;
        most = Math.max(most, inFlight);
        await tick();
        seen.push(item);
        inFlight -= 1;
      },
    );
    expect(most).toBe(4);
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });

  test('a failure stops new calls, waits for the started ones, then throws the first error', async () => {
    const started: number[] = [];
    const settled: number[] = [];
    const run = forEachWithLimit([0, 1, 2, 3, 4, 5, 6, 7], 3, async (item) => {
      started.push(item);
      await tick();
      if (item === 1) throw new Error('call 1 failed');
      if (item === 2) throw new Error('call 2 failed');
      await tick();
      settled.push(item);
    });
    await expect(run).rejects.toThrow('call 1 failed');
    // 0, 1 and 2 started together; 0 was let finish after 1 failed, and nothing else began.
    expect(started).toEqual([0, 1, 2]);
    expect(settled).toEqual([0]);
  });

  test('no items: no call', async () => {
    let calls = 0;
    await forEachWithLimit([], 10, async () => {
      calls += 1;
    });
    expect(calls).toBe(0);
  });
});
