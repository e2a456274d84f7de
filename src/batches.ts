/**
 * Splits items into the batches an AWS batch API accepts: at most `maxEntries` per call and at most
 * `maxBytes` in total (SNS PublishBatch, SQS SendMessageBatch, EventBridge PutEvents). `startsNew`
 * may force a new batch for an item (e.g. an id already used in the current one). An item larger
 * than `maxBytes` travels alone, and the API says what it thinks of it.
 */
export function splitIntoBatches<T>(
  items: readonly T[],
  limits: {
    maxEntries: number;
    maxBytes: number;
    sizeOf: (item: T) => number;
    startsNew?: (item: T, batch: readonly T[]) => boolean;
  },
): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = limits.sizeOf(item);
    const full =
      current.length >= limits.maxEntries ||
      bytes + size > limits.maxBytes ||
      limits.startsNew?.(item, current) === true;
    if (current.length > 0 && full) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
