import type { Pending } from './delivery.ts';

/**
 * A record holds one outbox at a time, so a batch runs in rounds with at most one message per
 * detection: the second update of a detection in the same batch is decided in the second round,
 * against the record the first left, instead of waiting for its redelivery. Batch order is kept per
 * detection, and each round is in batch order.
 */
export class BatchRounds {
  readonly #waiting = new Map<string, Pending[]>();

  constructor(pending: Iterable<Pending> = []) {
    for (const p of pending) this.add(p);
  }

  /** Queues a message behind the detection's earlier ones. */
  add(pending: Pending): void {
    const queue = this.#waiting.get(pending.pk);
    if (queue) queue.push(pending);
    else this.#waiting.set(pending.pk, [pending]);
  }

  /** Puts a message first in its detection's line, for the next round. */
  again(pending: Pending): void {
    const queue = this.#waiting.get(pending.pk);
    if (queue) queue.unshift(pending);
    else this.#waiting.set(pending.pk, [pending]);
  }

  /** The next round: the first waiting message of each detection, in batch order; empty when none is left. */
  next(): Pending[] {
    const round: Pending[] = [];
    for (const [pk, queue] of this.#waiting) {
      const head = queue.shift();
      if (head) round.push(head);
      if (queue.length === 0) this.#waiting.delete(pk);
    }
    return round.sort((a, b) => a.position - b.position);
  }
}
