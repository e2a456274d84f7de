import { ApiError } from './errors.ts';
import type { ParsedFaults } from './seed.ts';
import type { SessionRecord } from './state.ts';

/** Injected failures: throttling, eventual consistency, server errors and latency. */

export type Clock = () => number;

/** A deterministic PRNG (mulberry32), so a failing run with a given seed can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class TokenBucket {
  readonly capacity: number;
  readonly refillPerSecond: number;
  private tokens: number;
  private last: number;

  constructor(capacity: number, refillPerSecond: number, now: number) {
    this.capacity = capacity;
    this.refillPerSecond = refillPerSecond;
    this.tokens = capacity;
    this.last = now;
  }

  take(now: number): boolean {
    const elapsed = Math.max(0, now - this.last) / 1000;
    this.tokens = Math.min(this.capacity, this.tokens + elapsed * this.refillPerSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export type ActionClass = 'describe' | 'mutate' | 'other';

/** EC2 keeps separate buckets for reads and writes; the mutating bucket is much smaller. */
export function actionClass(action: string): ActionClass {
  if (action.startsWith('Describe')) return 'describe';
  if (/^(Create|Delete|Modify|Attach|Detach|Terminate|Stop|Start)/.test(action)) return 'mutate';
  return 'other';
}

export class FaultInjector {
  private config: ParsedFaults;
  private readonly clock: Clock;
  private buckets: Partial<Record<ActionClass, TokenBucket>> = {};
  private throttleRandom: () => number = Math.random;
  private errorRandom: () => number = Math.random;
  private readonly errorCalls = new Map<string, number>();
  /** Calls that named each instance / ENI id so far: eventual consistency ends after N of them. */
  private readonly namedCalls = new Map<string, number>();
  /** Sessions created or deleted within the session lag, with when (clock and describe count). */
  private readonly sessionChanges = new Map<string, { deleted?: SessionRecord; at: number; describe: number }>();
  private sessionDescribes = 0;

  constructor(config: ParsedFaults, clock: Clock) {
    this.clock = clock;
    this.config = config;
    this.configure(config);
  }

  get faults(): ParsedFaults {
    return this.config;
  }

  /** Replaces the faults; buckets start full and server-error counts start over. */
  configure(config: ParsedFaults): void {
    this.config = config;
    const now = this.clock();
    this.buckets = {};
    const throttle = config.throttle;
    if (throttle?.describe)
      this.buckets.describe = new TokenBucket(throttle.describe.capacity, throttle.describe.refillPerSecond, now);
    if (throttle?.mutate)
      this.buckets.mutate = new TokenBucket(throttle.mutate.capacity, throttle.mutate.refillPerSecond, now);
    this.throttleRandom = seededRandom(throttle?.seed ?? 1);
    this.errorRandom = seededRandom(config.serverErrors?.seed ?? 2);
    this.errorCalls.clear();
  }

  get latencyMs(): number {
    return this.config.latencyMs;
  }

  /** The throttling or server error this call gets before it reaches the service, if any. */
  beforeCall(service: EmulatedService, action: string): ApiError | undefined {
    const throttle = this.config.throttle;
    if (throttle) {
      const bucket = service === 'ec2' ? this.buckets[actionClass(action)] : undefined;
      if (bucket && !bucket.take(this.clock())) return throttled(service, action);
      if (throttle.rate !== undefined && appliesTo(throttle.actions, action) && this.throttleRandom() < throttle.rate) {
        return throttled(service, action);
      }
    }
    const errors = this.config.serverErrors;
    if (errors && appliesTo(errors.actions, action)) {
      const n = (this.errorCalls.get(action) ?? 0) + 1;
      this.errorCalls.set(action, n);
      const byCount = errors.count !== undefined && n <= errors.count;
      const byRate = errors.rate !== undefined && this.errorRandom() < errors.rate;
      if (byCount || byRate) {
        return errors.code === 'Unavailable'
          ? new ApiError('Unavailable', 'The server is overloaded and cannot handle the request.', 503)
          : new ApiError('InternalError', 'An internal error has occurred.', 500);
      }
    }
    return undefined;
  }

  /** Hidden by age, whoever asks: the resource has not propagated yet. */
  hiddenByAge(createdAt: number): boolean {
    return this.config.invisibleForMs > 0 && this.clock() - createdAt < this.config.invisibleForMs;
  }

  /**
   * Records that this call names `id` and tells whether it is still invisible to it. Only calls
   * that name a resource count, so a listing does not use up its invisibility.
   */
  named(id: string, createdAt: number): boolean {
    const before = this.namedCalls.get(id) ?? 0;
    this.namedCalls.set(id, before + 1);
    return before < this.config.invisibleForCalls || this.hiddenByAge(createdAt);
  }

  private get sessionLag(): boolean {
    return this.config.sessionLagCalls > 0 || this.config.sessionLagMs > 0;
  }

  sessionCreated(id: string): void {
    if (this.sessionLag) this.sessionChanges.set(id, { at: this.clock(), describe: this.sessionDescribes });
  }

  /** A session created and deleted within one lag was never seen: it stays unseen. */
  sessionDeleted(session: SessionRecord): void {
    if (!this.sessionLag) return;
    const created = this.sessionChanges.get(session.id);
    if (created && !created.deleted) this.sessionChanges.delete(session.id);
    else
      this.sessionChanges.set(session.id, {
        deleted: { ...session, tags: { ...session.tags } },
        at: this.clock(),
        describe: this.sessionDescribes,
      });
  }

  /** What one DescribeTrafficMirrorSessions call sees of `sessions` (the account's, as they are). */
  visibleSessions(sessions: SessionRecord[]): SessionRecord[] {
    this.sessionDescribes += 1;
    const lagging = (change: { at: number; describe: number }) =>
      this.sessionDescribes - change.describe <= this.config.sessionLagCalls ||
      this.clock() - change.at < this.config.sessionLagMs;
    const hidden = new Set<string>();
    const ghosts: SessionRecord[] = [];
    for (const [id, change] of this.sessionChanges) {
      if (!lagging(change)) this.sessionChanges.delete(id);
      else if (change.deleted) ghosts.push(change.deleted);
      else hidden.add(id);
    }
    return [...sessions.filter((s) => !hidden.has(s.id)), ...ghosts];
  }
}

function appliesTo(actions: string[] | undefined, action: string): boolean {
  return actions === undefined || actions.includes(action);
}

export type EmulatedService =
  | 'ec2'
  | 'sns'
  | 'sqs'
  | 'secretsmanager'
  | 'events'
  | 'states'
  | 'elbv2'
  | 'cloudtrail'
  | 'iam'
  | 'lambda'
  | 'sts'
  | 'organizations';

function throttled(service: EmulatedService, action: string): ApiError {
  if (service === 'ec2') return new ApiError('RequestLimitExceeded', `Request limit exceeded for ${action}.`, 503);
  if (service === 'sns') return new ApiError('Throttled', `Rate exceeded for ${action}.`, 429);
  // ELBv2's and IAM's common error for a throttled request (API references, Common Errors).
  if (service === 'elbv2' || service === 'iam') return new ApiError('Throttling', `Rate exceeded for ${action}.`, 400);
  if (service === 'lambda') return new ApiError('TooManyRequestsException', `Rate exceeded for ${action}.`, 429);
  // Organizations' (API reference, TooManyRequestsException).
  if (service === 'organizations') return new ApiError('TooManyRequestsException', `Rate exceeded for ${action}.`, 400);
  return new ApiError('ThrottlingException', `Rate exceeded for ${action}.`, 400);
}
