/**
 * Trimming that shows: a field cut to fit a channel ends with TRUNCATION_MARKER, so nobody mistakes a
 * shortened title or description for the whole of it.
 */

export const TRUNCATION_MARKER = '... (truncated)';

/** Cuts before `length` UTF-16 units without splitting a surrogate pair. */
export function sliceWhole(text: string, length: number): string {
  const cut = text.slice(0, Math.max(0, length));
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}

/** `text` if it has at most `max` characters, else its start and the marker, `max` characters in all. */
export function trimText(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= TRUNCATION_MARKER.length) return TRUNCATION_MARKER.slice(0, Math.max(0, max));
  return `${sliceWhole(text, max - TRUNCATION_MARKER.length).trimEnd()}${TRUNCATION_MARKER}`;
}

/**
 * The longest `n` in [0, max] for which `fits(n)` holds, assuming it holds for every smaller n once it
 * holds for one (binary search); undefined when not even 0 fits.
 */
export function largestFitting(max: number, fits: (n: number) => boolean): number | undefined {
  if (!fits(0)) return undefined;
  let low = 0;
  let high = max;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (fits(mid)) low = mid;
    else high = mid - 1;
  }
  return low;
}
