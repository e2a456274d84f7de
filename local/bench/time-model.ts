import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import type { Clock } from '../emulator/index.ts';
import type { LoadedMachine } from '../stepfunctions/runner.ts';

/**
 * Scaled time. A burst of 1,000 launches against EC2's documented buckets takes minutes of real
 * time; the benchmark runs it `scale` times faster. For the ratios to mean anything every clock and
 * every wait of the system must be scaled alike, otherwise retries would look cheaper or dearer than
 * they are:
 * - the emulator's token buckets refill on a clock that runs `scale` times faster than real time;
 * - the state machine's Retry backoff (IntervalSeconds, MaxDelaySeconds) and Task TimeoutSeconds are
 *   divided by `scale`, with BackoffRate, MaxAttempts and full jitter unchanged;
 * - the AWS SDK's own retry backoff inside each Lambda (base delays) is divided by `scale`.
 * Model seconds = real seconds x scale. Real CPU time of the local run is scaled too: it stands in for
 * Lambda and API latency.
 */

export interface TimeModel {
  scale: number;
  /** Model milliseconds since an arbitrary origin, for the emulator. */
  clock: Clock;
  /** Model seconds elapsed since `start`. */
  modelSecondsSince(startRealMs: number): number;
}

export function timeModel(scale: number): TimeModel {
  if (!(scale > 0)) throw new Error(`scale must be positive (got ${scale})`);
  const origin = Date.now();
  const realStart = performance.now();
  return {
    scale,
    clock: () => origin + (performance.now() - realStart) * scale,
    modelSecondsSince: (startRealMs) => ((performance.now() - startRealMs) * scale) / 1000,
  };
}

interface RetrierShape {
  IntervalSeconds?: number;
  MaxDelaySeconds?: number;
}

interface StateShape {
  TimeoutSeconds?: number;
  Retry?: RetrierShape[];
  ItemProcessor?: { States: Record<string, StateShape> };
  Iterator?: { States: Record<string, StateShape> };
  Branches?: { States: Record<string, StateShape> }[];
}

/** ASL defaults when a retrier leaves them out. */
const DEFAULT_INTERVAL_SECONDS = 1;

function scaleStates(states: Record<string, StateShape>, scale: number): void {
  for (const state of Object.values(states)) {
    // ASL wants whole seconds here.
    if (state.TimeoutSeconds !== undefined) state.TimeoutSeconds = Math.ceil(state.TimeoutSeconds / scale);
    for (const retrier of state.Retry ?? []) {
      retrier.IntervalSeconds = (retrier.IntervalSeconds ?? DEFAULT_INTERVAL_SECONDS) / scale;
      if (retrier.MaxDelaySeconds !== undefined) retrier.MaxDelaySeconds /= scale;
    }
    for (const inner of [state.ItemProcessor, state.Iterator, ...(state.Branches ?? [])]) if (inner) scaleStates(inner.States, scale);
  }
}

/**
 * The same definition with every Retry's waits in scaled time. Run without `retryPauseMs`, so the
 * definition's own exponential backoff and jitter apply.
 */
export function scaledMachine(machine: LoadedMachine, scale: number): LoadedMachine {
  const definition = structuredClone(machine.definition);
  scaleStates(definition.States as Record<string, StateShape>, scale);
  return { ...machine, definition, tasks: new Map(machine.tasks) };
}

interface SdkRetryDelays {
  delay: () => number;
  throttlingDelay: () => number;
}

/**
 * Divides the AWS SDK's retry base delays (50 ms, and 1 s after throttling, in the installed
 * @smithy/core) by `scale`. The EC2 client is CommonJS, so the class patched is the one its own
 * `require('@smithy/core/retry')` returns; a client created afterwards proves the patch reached the
 * module the handlers use (its retry strategy reads the plain delay when created). Must run before
 * the handlers create their first client. Returns what it did and how to undo it.
 */
export async function scaleSdkBackoff(scale: number): Promise<{ scaled: boolean; detail: string; restore(): void }> {
  const unscaled = (why: string) => ({ scaled: false, detail: `SDK backoff in real time: ${why}`, restore: () => undefined });
  let Retry: SdkRetryDelays | undefined;
  try {
    const ec2Entry = createRequire(import.meta.url).resolve('@aws-sdk/client-ec2');
    Retry = (createRequire(ec2Entry)('@smithy/core/retry') as { Retry?: SdkRetryDelays }).Retry;
  } catch (error) {
    return unscaled((error as Error).message);
  }
  if (!Retry || typeof Retry.delay !== 'function' || typeof Retry.throttlingDelay !== 'function') return unscaled('no retry delays to scale in @smithy/core');
  const patched = Retry;
  const original = { delay: patched.delay, throttlingDelay: patched.throttlingDelay };
  const restore = () => {
    patched.delay = original.delay;
    patched.throttlingDelay = original.throttlingDelay;
  };
  const base = original.delay.call(patched);
  const throttling = original.throttlingDelay.call(patched);
  patched.delay = () => base / scale;
  patched.throttlingDelay = () => throttling / scale;

  const { EC2Client } = await import('@aws-sdk/client-ec2');
  const provider = (new EC2Client({ region: 'us-east-1' }).config as { retryStrategy?: () => Promise<{ baseDelay?: number }> }).retryStrategy;
  const strategy = typeof provider === 'function' ? await provider() : undefined;
  if (strategy?.baseDelay !== base / scale) {
    restore();
    return unscaled('the EC2 client in use does not read the patched delays');
  }
  return { scaled: true, detail: `SDK retry base delays ${base} ms / ${throttling} ms (throttled) divided by ${scale}`, restore };
}
