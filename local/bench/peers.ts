import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { EC2Client } from '@aws-sdk/client-ec2';
import { startEmulator, type Emulator, type EmulatorFaults } from '../emulator/index.ts';
import { LATENCY_MODEL, lambdaStartSeconds, type LatencyModel } from './latency-model.ts';
import { sum, type TokenBucketModel } from './metrics.ts';
import { accountOutcome, summarizeLatency, watchSessions, type AccountOutcome, type LatencySummary } from './outcome.ts';
import { PEER_STRATEGIES, type PeerEnvironment, type PeerStrategy } from './peer-strategies.ts';
import { FILTER_ID, ZONAL_TARGETS, expectedEnis, generateBurst, type Burst, type BurstParams, type StateChangeEvent } from './scenario.ts';
import { scaleSdkBackoff, timeModel } from './time-model.ts';

/**
 * The alternatives' strategies on the burst autotap gets: each on a fresh emulator with the same
 * seed, the same throttling and the same scaled time, calling EC2 through real AWS SDK clients. The
 * Lambda platform around them (asynchronous invocation, concurrency, timeout, retries, schedule) is
 * modelled here; what each tool does inside its Lambda is in peer-strategies.ts.
 */

export interface PeerRunParams {
  burst: Partial<BurstParams>;
  /** Invocations in flight for strategies without a concurrency of their own (autotap's executions in flight). */
  concurrency: number;
  scale: number;
  describe: TokenBucketModel;
  mutate: TokenBucketModel;
  /** The schedule of scanning strategies: period, and the launch's offset into it (model seconds). */
  scanPeriodSeconds: number;
  scanPhaseSeconds: number;
  /** Scans at most, for scanning strategies (they stop earlier after a scan that had nothing to do). */
  maxScans: number;
  /**
   * Model seconds after which no further invocation starts (events still waiting are counted as left).
   * A strategy that fails every invocation otherwise retries each event for as long as Lambda allows.
   */
  maxModelSeconds: number;
  latency: LatencyModel;
  /** Module load of a Lambda cold start, when measured (seconds). */
  moduleLoadSeconds?: number;
}

export interface PeerResult {
  name: string;
  title: string;
  sources: string[];
  modelled: string[];
  outcome: AccountOutcome;
  ec2: { calls: number; throttled: number; byAction: Record<string, number> };
  invocations: { total: number; failed: number; retried: number; timedOut: number; leftWaiting: number };
  /** Model seconds from the launch until the last eligible ENI's session existed (null: some never did). */
  lastMirroredSeconds: number | null;
  /** Model seconds from the launch to the last mirrored ENI, whether or not all were. */
  lastSessionSeconds: number;
  latency: LatencySummary;
  realSeconds: number;
}

export const DEFAULT_PEER_SCHEDULE = { scanPeriodSeconds: 300, scanPhaseSeconds: 150, maxScans: 3, maxModelSeconds: 900 };

const ACCOUNT_CREDENTIALS = { accessKeyId: 'AKIAPEERS', secretAccessKey: 'peers-secret' };

function environment(): PeerEnvironment {
  return {
    targetsByZone: new Map(ZONAL_TARGETS.map((t) => [t.availabilityZone, t.id])),
    filterId: FILTER_ID,
    excluded: (tags) => tags['autotap:mirror'] === 'false',
  };
}

interface Pending {
  event: StateChangeEvent;
  index: number;
  attempt: number;
  /** Model seconds at which Lambda runs it (retries wait). */
  readyAt: number;
}

interface InvocationCounts {
  total: number;
  failed: number;
  retried: number;
  timedOut: number;
  leftWaiting: number;
}

/** Runs `work` as a Lambda invocation with the strategy's timeout (in model seconds). */
async function invoke(strategy: PeerStrategy, scale: number, work: (signal: AbortSignal) => Promise<unknown>, counts: InvocationCounts): Promise<boolean> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('Task timed out')), (strategy.timeoutSeconds * 1000) / scale);
  counts.total += 1;
  try {
    await work(controller.signal);
    return true;
  } catch {
    counts.failed += 1;
    if (controller.signal.aborted) counts.timedOut += 1;
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * EventBridge invokes the Lambda asynchronously, once per event: `concurrency` containers take events
 * in order; a failed invocation goes back to Lambda's queue for its retries, after their delays.
 */
async function runEventDriven(
  strategy: PeerStrategy,
  events: readonly StateChangeEvent[],
  concurrency: number,
  client: () => EC2Client,
  now: () => number,
  params: PeerRunParams,
  counts: InvocationCounts,
): Promise<void> {
  const queue: Pending[] = events.map((event, index) => ({ event, index, attempt: 0, readyAt: 0 }));
  let running = 0;
  const env = environment();
  const container = async () => {
    const ec2 = client();
    for (;;) {
      if (now() > params.maxModelSeconds) {
        counts.leftWaiting += queue.splice(0).length;
        if (running === 0) return;
      }
      const at = queue.findIndex((p) => p.readyAt <= now());
      if (at < 0) {
        if (queue.length === 0 && running === 0) return;
        await sleep(20);
        continue;
      }
      const [pending] = queue.splice(at, 1) as [Pending];
      running += 1;
      const ok = await invoke(strategy, params.scale, (signal) => strategy.handle({ ec2, env, signal, event: pending.event }), counts);
      running -= 1;
      if (!ok && pending.attempt < strategy.lambdaRetries) {
        counts.retried += 1;
        const delay = params.latency.asyncRetryDelaysSeconds[pending.attempt] ?? 120;
        queue.push({ ...pending, attempt: pending.attempt + 1, readyAt: now() + delay });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, events.length) }, container));
}

/**
 * A scheduled scan every period. The buckets start full and a quiet period refills them, so the wait
 * between scans is not spent in real time beyond what refills the buckets: the rest is added to the
 * clock (`skip`).
 */
async function runScheduled(
  strategy: PeerStrategy,
  client: () => EC2Client,
  now: () => number,
  skip: (seconds: number) => void,
  params: PeerRunParams,
  counts: InvocationCounts,
): Promise<void> {
  const env = environment();
  const ec2 = client();
  const refillSeconds = Math.max(params.describe.capacity / params.describe.refillPerSecond, params.mutate.capacity / params.mutate.refillPerSecond);
  skip(params.scanPhaseSeconds);
  for (let scan = 0; scan < params.maxScans; scan += 1) {
    const started = now();
    let created = 0;
    const ok = await invoke(strategy, params.scale, async (signal) => ({ created } = await strategy.handle({ ec2, env, signal })), counts);
    if (ok && created === 0) return;
    const wait = started + params.scanPeriodSeconds - now();
    if (wait <= 0) continue;
    const waited = Math.min(wait, refillSeconds);
    await sleep((waited * 1000) / params.scale);
    skip(wait - waited);
  }
}

/** Seconds each ENI waited, launch to session, with the Lambda platform's latencies of the model added. */
function latencies(strategy: PeerStrategy, burst: Burst, firstSeen: Map<string, number>, concurrency: number, params: PeerRunParams): number[] {
  const firstEvent = new Map<string, number>();
  burst.events.forEach((e, index) => {
    if (!firstEvent.has(e.detail['instance-id'])) firstEvent.set(e.detail['instance-id'], index);
  });
  const out: number[] = [];
  for (const instance of burst.instances) {
    if (instance.kind !== 'eligible') continue;
    // The first invocations of each container start cold; a single container is cold once, and its
    // cold start delays every later invocation alike.
    const index = firstEvent.get(instance.instanceId) ?? 0;
    const cold = concurrency === 1 || index < concurrency;
    const platform =
      (strategy.trigger === 'event' ? params.latency.eventBridgeDeliverySeconds : 0) + lambdaStartSeconds(params.latency, cold, params.moduleLoadSeconds);
    for (const eni of instance.networkInterfaceIds) {
      const seen = firstSeen.get(eni);
      out.push(seen === undefined ? Number.POSITIVE_INFINITY : seen + platform);
    }
  }
  return out;
}

export async function runPeer(strategy: PeerStrategy, params: PeerRunParams): Promise<PeerResult> {
  const burst = generateBurst(params.burst);
  const time = timeModel(params.scale);
  const faults: EmulatorFaults = { throttle: { describe: params.describe, mutate: params.mutate } };
  const emulator: Emulator = await startEmulator(burst.seed, { clock: time.clock, faults });
  const start = performance.now();
  let skipped = 0;
  const now = () => time.modelSecondsSince(start) + skipped;
  const watch = watchSessions(emulator, now);
  const counts: InvocationCounts = { total: 0, failed: 0, retried: 0, timedOut: 0, leftWaiting: 0 };
  const endpoint = emulator.env().AWS_ENDPOINT_URL_EC2;
  const client = () => new EC2Client({ region: burst.seed.region, endpoint, credentials: ACCOUNT_CREDENTIALS, maxAttempts: strategy.sdk.maxAttempts, retryMode: 'standard' });
  const concurrency = strategy.concurrency === 'burst' ? params.concurrency : strategy.concurrency;
  try {
    if (strategy.trigger === 'event') await runEventDriven(strategy, burst.events, concurrency, client, now, params, counts);
    else await runScheduled(strategy, client, now, (s) => (skipped += s), params, counts);
  } finally {
    watch.stop();
  }
  const realSeconds = (performance.now() - start) / 1000;
  const sessions = emulator.sessions();
  const all = emulator.calls();
  const ok = emulator.successfulCalls();
  await emulator.close();
  const byAction = Object.fromEntries(Object.entries(all).filter(([action]) => /^(Describe|Create|Delete|Modify)/.test(action)));
  const calls = sum(Object.values(byAction));
  const eligible = expectedEnis(burst.instances).eligible;
  const seenEligible = eligible.map((id) => watch.firstSeen.get(id));
  const mirroredTimes = seenEligible.filter((s): s is number => s !== undefined);
  return {
    name: strategy.name,
    title: strategy.title,
    sources: strategy.sources,
    modelled: strategy.modelled,
    outcome: accountOutcome(burst, sessions),
    ec2: { calls, throttled: calls - sum(Object.keys(byAction).map((a) => ok[a] ?? 0)), byAction },
    invocations: counts,
    lastMirroredSeconds: mirroredTimes.length === eligible.length && eligible.length > 0 ? Math.max(...mirroredTimes) : null,
    lastSessionSeconds: mirroredTimes.length > 0 ? Math.max(...mirroredTimes) : 0,
    latency: summarizeLatency(latencies(strategy, burst, watch.firstSeen, concurrency, params)),
    realSeconds,
  };
}

export interface PeersResult {
  params: Omit<PeerRunParams, 'latency'>;
  strategies: PeerResult[];
  /** The same strategies on a quiet account: one launch. */
  quiet: PeerResult[];
}

/** Every strategy on the burst, then on a quiet account (one launch, no throttling reached). */
export async function runPeersBench(
  params: Omit<PeerRunParams, 'latency' | 'scanPeriodSeconds' | 'scanPhaseSeconds' | 'maxScans' | 'maxModelSeconds'> & Partial<PeerRunParams>,
  strategies: readonly PeerStrategy[] = PEER_STRATEGIES,
  progress: (line: string) => void = () => undefined,
): Promise<PeersResult> {
  const full: PeerRunParams = { ...DEFAULT_PEER_SCHEDULE, latency: LATENCY_MODEL, ...params };
  const sdk = await scaleSdkBackoff(full.scale);
  try {
    const results: PeerResult[] = [];
    for (const strategy of strategies) {
      progress(`peers: ${strategy.name} on the burst ...`);
      results.push(await runPeer(strategy, full));
    }
    const quiet: PeerResult[] = [];
    for (const strategy of strategies) quiet.push(await runPeer(strategy, { ...full, burst: { ...full.burst, ...QUIET_ACCOUNT } }));
    const { latency: _latency, ...rest } = full;
    return { params: rest, strategies: results, quiet };
  } finally {
    sdk.restore();
  }
}

/** One instance with one ENI launched into an otherwise idle account. */
export const QUIET_ACCOUNT: Partial<BurstParams> = { instances: 1, twoEniShare: 0, excludedShare: 0, unsupportedShare: 0, duplicateShare: 0 };
