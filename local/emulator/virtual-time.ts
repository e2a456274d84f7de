/**
 * Discrete-event time for local runs that span hours of model time in seconds of wall time: time
 * moves only when every actor is asleep (in `sleep`), straight to the earliest wake-up. An actor
 * awaiting real I/O (a loopback HTTP call) is awake, so the clock waits for it: what a model does
 * between two sleeps takes no model time, and concurrent actors interleave as their sleeps say.
 */
export class VirtualTime {
  private current: number;
  private readonly timers: { at: number; seq: number; wake: () => void }[] = [];
  private seq = 0;
  private actors = 0;
  private sleeping = 0;
  private advancing = false;

  constructor(start = 1_750_000_000_000) {
    this.current = start;
  }

  readonly now = (): number => this.current;

  readonly sleep = (ms: number): Promise<void> =>
    new Promise<void>((wake) => {
      this.timers.push({ at: this.current + Math.max(0, ms), seq: this.seq++, wake });
      this.sleeping++;
      this.schedule();
    });

  /** Runs `fn` as an actor: time waits for it whenever it is not sleeping. */
  async actor<T>(fn: () => Promise<T>): Promise<T> {
    this.actors++;
    try {
      return await fn();
    } finally {
      this.actors--;
      this.schedule();
    }
  }

  private schedule(): void {
    if (this.advancing) return;
    this.advancing = true;
    // After pending callbacks and I/O: an actor about to sleep gets to do so first.
    setImmediate(() => {
      this.advancing = false;
      if (this.actors === 0 || this.sleeping < this.actors || this.timers.length === 0) return;
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers.shift()!;
      this.current = Math.max(this.current, next.at);
      this.sleeping--;
      next.wake();
    });
  }
}
