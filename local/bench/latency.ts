import type { BundleResults } from './bundles.ts';
import { LATENCY_MODEL, lambdaStartSeconds, type LatencyModel } from './latency-model.ts';
import type { MirroringResult } from './mirroring.ts';
import { summarizeLatency, type LatencySummary } from './outcome.ts';
import type { PeersResult } from './peers.ts';

/**
 * Launch-to-mirrored latency per ENI: the model seconds the run measured from the launch to the
 * session existing, plus the platform's latencies of the model (latency-model.ts) that the local run
 * does not have. For autotap: EventBridge delivery, Step Functions' time per state entered before the
 * session exists, and the start of each Lambda on the way (cold for the first executions, each in a
 * new container, with the module load measured for its bundle).
 */

/** The Lambdas a `mirror-instances` execution invokes before its session exists. */
export const FUNCTIONS_BEFORE_SESSION = ['normalize-input', 'resolve-interfaces', 'attach-session'];

export interface LatencyRow {
  name: string;
  quiet: LatencySummary;
  burst: LatencySummary;
}

export interface LatencyResult {
  model: LatencyModel;
  /** Module load per Lambda on the way, seconds (measured; the model's fallback when bundles were skipped). */
  moduleLoadSeconds: Record<string, number>;
  /** States entered before the session exists: the one-ENI happy path's transitions but the summary. */
  transitionsBeforeSession: number;
  /** Seconds added to what the run measured, per ENI: for a cold and a warm execution. */
  platformSeconds: { cold: number; warm: number };
  rows: LatencyRow[];
}

export function autotapPlatformSeconds(m: MirroringResult, bundles: BundleResults | null, model: LatencyModel = LATENCY_MODEL) {
  const moduleLoadSeconds: Record<string, number> = {};
  for (const name of FUNCTIONS_BEFORE_SESSION) {
    const measured = bundles?.functions.find((f) => f.name === name)?.loadMs;
    moduleLoadSeconds[name] = measured === undefined ? model.lambdaModuleLoadFallbackSeconds : measured / 1000;
  }
  const transitionsBeforeSession = Math.max(0, m.transitions.happyPath.oneEniTransitions - 1);
  const platform = (cold: boolean) =>
    model.eventBridgeDeliverySeconds +
    transitionsBeforeSession * model.stepFunctionsTransitionSeconds +
    FUNCTIONS_BEFORE_SESSION.reduce((total, name) => total + lambdaStartSeconds(model, cold, moduleLoadSeconds[name]), 0);
  return { moduleLoadSeconds, transitionsBeforeSession, platformSeconds: { cold: platform(true), warm: platform(false) } };
}

export function computeLatency(m: MirroringResult, peers: PeersResult | null, bundles: BundleResults | null, model: LatencyModel = LATENCY_MODEL): LatencyResult {
  const { moduleLoadSeconds, transitionsBeforeSession, platformSeconds } = autotapPlatformSeconds(m, bundles, model);
  // The first `concurrency` executions each start in a new container: cold. The rest find one warm.
  const burst = m.sessionTimes.seconds.map((seconds, k) =>
    seconds === null ? Number.POSITIVE_INFINITY : seconds + ((m.sessionTimes.eventIndex[k] ?? 0) < m.params.concurrency ? platformSeconds.cold : platformSeconds.warm),
  );
  const quietMeasured = m.transitions.happyPath.quietSessionSeconds;
  const quiet = [quietMeasured === null ? Number.POSITIVE_INFINITY : quietMeasured + platformSeconds.cold];
  const rows: LatencyRow[] = [{ name: 'autotap', quiet: summarizeLatency(quiet), burst: summarizeLatency(burst) }];
  for (const peer of peers?.strategies ?? []) {
    const quietPeer = peers?.quiet.find((q) => q.name === peer.name);
    if (quietPeer) rows.push({ name: peer.name, quiet: quietPeer.latency, burst: peer.latency });
  }
  return { model, moduleLoadSeconds, transitionsBeforeSession, platformSeconds, rows };
}
