import fc from 'fast-check';
import { pickSessionNumber, SESSIONS_PER_INTERFACE } from '../../src/mirroring/session-numbers.ts';

const range = { preferred: 1, min: 1, max: 32766 };

describe('pickSessionNumber', () => {
  it('takes the preferred number when free, else the lowest free above it', () => {
    expect(pickSessionNumber([], range)).toEqual({ sessionNumber: 1 });
    expect(pickSessionNumber([1, 2], range)).toEqual({ sessionNumber: 3 });
    expect(pickSessionNumber([2], { preferred: 2, min: 1, max: 10 })).toEqual({ sessionNumber: 3 });
    expect(pickSessionNumber([5], { preferred: 2, min: 1, max: 10 })).toEqual({ sessionNumber: 2 });
  });

  it('never adds a fourth session, and says so when the range is used up', () => {
    expect(pickSessionNumber([1, 2, 3], range)).toEqual({ reason: 'session-limit' });
    expect(pickSessionNumber([9, 10], { preferred: 9, min: 1, max: 10 })).toEqual({ reason: 'no-session-number' });
  });

  it('property: never a number in use, always within [preferred, max], never a fourth session', () => {
    const arbitraryRange = fc
      .tuple(fc.integer({ min: 1, max: 32766 }), fc.integer({ min: 1, max: 32766 }), fc.integer({ min: 1, max: 32766 }))
      .map(([a, b, c]) => {
        const [min, preferred, max] = [a, b, c].sort((x, y) => x - y) as [number, number, number];
        return { min, preferred, max };
      });
    fc.assert(
      fc.property(arbitraryRange, fc.array(fc.integer({ min: 1, max: 32766 }), { maxLength: 5 }), (r, used) => {
        const choice = pickSessionNumber(used, r);
        if ('sessionNumber' in choice) {
          expect(used).not.toContain(choice.sessionNumber);
          expect(choice.sessionNumber).toBeGreaterThanOrEqual(r.preferred);
          expect(choice.sessionNumber).toBeLessThanOrEqual(r.max);
          expect(used.length).toBeLessThan(SESSIONS_PER_INTERFACE);
        } else if (choice.reason === 'no-session-number') {
          for (let n = r.preferred; n <= r.max; n += 1) expect(used).toContain(n);
        } else {
          expect(used.length).toBeGreaterThanOrEqual(SESSIONS_PER_INTERFACE);
        }
      }),
      { numRuns: 500 },
    );
  });
});
