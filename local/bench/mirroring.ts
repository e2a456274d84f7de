import { performance } from 'node:perf_hooks';
import { startLocalAutotap, type LocalAutotap } from '../environment.ts';
import { loadStateMachine } from '../stepfunctions/runner.ts';
import { executor, type BenchExecution, type Executor } from './executor.ts';
import { MANAGED_TAG, type EniResult } from '../../src/mirroring/types.ts';
import { observeHttp, type HttpObservation } from './http-observer.ts';
import { accountOutcome, watchSessions } from './outcome.ts';
import {
  describesNeeded,
  duplicateSessions,
  minimumCalls,
  mirroredEnis,
  ratio,
  sum,
  throttleBoundSeconds,
  type MinimumCalls,
  type TokenBucketModel,
} from './metrics.ts';
import { expectedEnis, generateBurst, type Burst, type BurstParams } from './scenario.ts';
import { scaledMachine, scaleSdkBackoff, timeModel, type TimeModel } from './time-model.ts';

/** The mirroring half of the benchmark: a launch burst through the real workflow on the emulator. */

export interface MirroringParams {
  burst: Partial<BurstParams>;
  /** Executions in flight at once, as Step Functions would run a burst of StartExecution. */
  concurrency: number;
  /** Model seconds per real second. */
  scale: number;
  describe: TokenBucketModel;
  mutate: TokenBucketModel;
  onProgress?: (line: string) => void;
}

/**
 * Defaults of the order AWS documents for EC2 (per account and Region): non-mutating (Describe*)
 * actions bucket 100, refill 20/s; for the mutating bucket the smallest documented class (bucket 50,
 * refill 5/s, "resource-intensive" and "uncategorized" actions), since AWS publishes no class for
 * CreateTrafficMirrorSession and it is the bucket a burst drains first.
 */
export const DEFAULT_MIRRORING: Omit<MirroringParams, 'burst'> = {
  concurrency: 100,
  scale: 4,
  describe: { capacity: 100, refillPerSecond: 20 },
  mutate: { capacity: 50, refillPerSecond: 5 },
};

const EC2_ACTION = /^(Describe|Create|Delete|Modify)/;

export interface ActionCalls {
  calls: number;
  succeeded: number;
  /** Answered with an error: throttled, or refused (e.g. NetworkInterfaceNotSupported). */
  failed: number;
}

export interface HappyPath {
  oneEniTransitions: number;
  twoEniTransitions: number;
  oneEniCalls: Record<string, number>;
  /** Model seconds from the one-ENI execution's start to its session existing: a quiet account's launch. */
  quietSessionSeconds: number | null;
}

/** When each eligible ENI's first session existed, for the latency figures (computed with the latency model). */
export interface SessionTimes {
  /** Per eligible ENI, model seconds from the burst's start (null: never mirrored). */
  seconds: (number | null)[];
  /** Per eligible ENI, the index of its instance's first event in delivery order. */
  eventIndex: number[];
}

export interface MirroringResult {
  params: Omit<MirroringParams, 'onProgress'> & { burst: BurstParams };
  timeModel: { scale: number; sdkBackoff: string };
  scenario: {
    instances: number;
    twoEniInstances: number;
    excludedInstances: number;
    unsupportedInstances: number;
    events: number;
    duplicateEvents: number;
    enis: { eligible: number; excluded: number; unsupported: number };
  };
  coverage: {
    eligibleEnis: number;
    mirroredEnis: number;
    duplicateSessions: number;
    /** Sessions on ENIs that must not have one (excluded or unsupported). */
    unwantedSessions: number;
    /** Sessions to a target in another zone than their ENI's while that zone has one. */
    wrongZoneSessions: number;
    mirroredInstances: number;
  };
  executions: {
    total: number;
    succeeded: number;
    failed: number;
    failures: Record<string, number>;
    outcomes: Record<string, number>;
  };
  ec2: {
    byAction: Record<string, ActionCalls>;
    total: number;
    throttled: number;
    minimum: MinimumCalls;
    perMirroredEni: number;
    minimumPerMirroredEni: number;
    ratioToMinimum: number;
    /** The independent count of HTTP requests the SDK clients sent to the emulator. */
    http: HttpObservation;
    /** Calls the emulator logged for every service (EC2 and SNS), to compare with `http.responses`. */
    emulatorTotal: number;
  };
  lambdaInvocations: Record<string, number>;
  sessionTimes: SessionTimes;
  time: {
    realSeconds: number;
    modelSeconds: number;
    createsNeeded: number;
    mutateBoundSeconds: number;
    describeBoundSeconds: number;
    /** The larger of the two bucket bounds, in model seconds. */
    lowerBoundSeconds: number;
    ratioToBound: number;
    /** Share of the run the event loop was busy: near 1 means the machine, not the model, set the pace. */
    eventLoopUtilization: number;
  };
  transitions: {
    happyPath: HappyPath;
    total: number;
    perExecution: number;
    perInstance: number;
  };
}

const resultsOf = (record: BenchExecution): EniResult[] =>
  record.status === 'SUCCEEDED' ? ((record.output as { results?: EniResult[] }).results ?? []) : [];

async function withLocal<T>(seed: Parameters<typeof startLocalAutotap>[0], config: Parameters<typeof startLocalAutotap>[1], options: Parameters<typeof startLocalAutotap>[2], body: (local: LocalAutotap) => Promise<T>): Promise<T> {
  // The SDK retries as the deployed stack configures it (serverless.yml: adaptive, 5 attempts).
  process.env.AWS_RETRY_MODE = 'adaptive';
  process.env.AWS_MAX_ATTEMPTS = '5';
  const local = await startLocalAutotap(seed, config, options);
  try {
    return await body(local);
  } finally {
    await local.close();
  }
}

/** One unthrottled execution per shape: the transitions and calls of the happy path. */
async function measureHappyPath(burst: Burst, machine: Executor, time: TimeModel): Promise<HappyPath> {
  const one = burst.seed.instances?.find((i) => i.networkInterfaces?.length === 1 && !i.tags?.['autotap:mirror'] && !i.instanceType?.startsWith('t2.'));
  const two = burst.seed.instances?.find((i) => i.networkInterfaces?.length === 2 && !i.tags?.['autotap:mirror'] && !i.instanceType?.startsWith('t2.'));
  // A second one-ENI launch, once the handlers are loaded: the local process imports them on first
  // use, a cost the latency model counts as Lambda cold starts instead.
  const quiet = burst.seed.instances?.find((i) => i !== one && i.networkInterfaces?.length === 1 && !i.tags?.['autotap:mirror'] && !i.instanceType?.startsWith('t2.'));
  if (!one || !two) throw new Error('the burst has no eligible one-ENI or two-ENI instance to measure the happy path on');
  const eventOf = (id: string) => burst.events.find((e) => e.detail['instance-id'] === id);
  return withLocal({ ...burst.seed, instances: [one, two, ...(quiet ? [quiet] : [])] }, burst.config, { clock: time.clock }, async (local) => {
    const first = await machine.run(eventOf(one.id));
    const oneEniCalls = local.emulator.calls();
    const second = await machine.run(eventOf(two.id));
    let quietSessionSeconds: number | null = null;
    if (quiet) {
      const started = performance.now();
      const watch = watchSessions(local.emulator, () => time.modelSecondsSince(started));
      await machine.run(eventOf(quiet.id));
      watch.stop();
      quietSessionSeconds = watch.firstSeen.get(quiet.networkInterfaces?.[0]?.id ?? '') ?? null;
    }
    if (first.status !== 'SUCCEEDED' || second.status !== 'SUCCEEDED') throw new Error('the happy-path executions failed: the workflow is broken, not slow');
    return { oneEniTransitions: first.stateTransitions, twoEniTransitions: second.stateTransitions, oneEniCalls, quietSessionSeconds };
  });
}

function count<K extends string>(into: Record<string, number>, key: K, by = 1): void {
  into[key] = (into[key] ?? 0) + by;
}

export async function runMirroringBench(input: Partial<MirroringParams> = {}): Promise<MirroringResult> {
  const params = { ...DEFAULT_MIRRORING, ...input, burst: input.burst ?? {} };
  const burst = generateBurst(params.burst);
  const time = timeModel(params.scale);
  const sdk = await scaleSdkBackoff(params.scale);
  const progress = params.onProgress ?? (() => undefined);
  try {
    const machine = executor(scaledMachine(loadStateMachine('mirror-instances'), params.scale));
    const happyPath = await measureHappyPath(burst, machine, time);

    const faults = { throttle: { describe: params.describe, mutate: params.mutate } };
    return await withLocal(burst.seed, burst.config, { clock: time.clock, faults }, async (local) => {
      const http = observeHttp(local.emulator.endpoint);
      const invocations: Record<string, number> = {};
      const records: BenchExecution[] = new Array<BenchExecution>(burst.events.length);
      let next = 0;
      let done = 0;
      const elu0 = performance.eventLoopUtilization();
      const start = performance.now();
      const watch = watchSessions(local.emulator, () => time.modelSecondsSince(start));
      const ticker = setInterval(() => {
        const created = local.emulator.successfulCalls().CreateTrafficMirrorSession ?? 0;
        progress(`  ${done}/${burst.events.length} executions done, ${created} sessions created, ${time.modelSecondsSince(start).toFixed(0)} model s`);
      }, 10_000);
      const worker = async () => {
        while (next < burst.events.length) {
          const index = next++;
          records[index] = await machine.run(burst.events[index], (fn) => count(invocations, fn));
          done += 1;
        }
      };
      try {
        await Promise.all(Array.from({ length: params.concurrency }, worker));
      } finally {
        clearInterval(ticker);
        http.stop();
        watch.stop();
      }
      const realSeconds = (performance.now() - start) / 1000;
      const elu = performance.eventLoopUtilization(elu0).utilization;
      return summarize({ params, burst, records, local, invocations, happyPath, http: http.snapshot(), realSeconds, elu, sdkBackoff: sdk.detail, firstSeen: watch.firstSeen });
    });
  } finally {
    sdk.restore();
  }
}

interface RunObservations {
  params: MirroringParams & { burst: Partial<BurstParams> };
  burst: Burst;
  records: BenchExecution[];
  local: LocalAutotap;
  invocations: Record<string, number>;
  happyPath: HappyPath;
  http: HttpObservation;
  realSeconds: number;
  elu: number;
  sdkBackoff: string;
  firstSeen: Map<string, number>;
}

function sessionTimes(burst: Burst, firstSeen: Map<string, number>): SessionTimes {
  const firstEvent = new Map<string, number>();
  burst.events.forEach((e, index) => {
    if (!firstEvent.has(e.detail['instance-id'])) firstEvent.set(e.detail['instance-id'], index);
  });
  const times: SessionTimes = { seconds: [], eventIndex: [] };
  for (const instance of burst.instances) {
    if (instance.kind !== 'eligible') continue;
    for (const eni of instance.networkInterfaceIds) {
      times.seconds.push(firstSeen.get(eni) ?? null);
      times.eventIndex.push(firstEvent.get(instance.instanceId) ?? 0);
    }
  }
  return times;
}

function summarize(o: RunObservations): MirroringResult {
  const { burst, records, local, params } = o;
  const enis = expectedEnis(burst.instances);
  const emulated = local.emulator.sessions();
  const sessions = emulated.map((s) => ({ networkInterfaceId: s.networkInterfaceId, managed: s.tags[MANAGED_TAG] === 'true' }));
  const mirrored = mirroredEnis(enis.eligible, sessions);
  const unwanted = new Set([...enis.excluded, ...enis.unsupported]);
  const mirroredSet = new Set(sessions.filter((s) => s.managed).map((s) => s.networkInterfaceId));

  const failures: Record<string, number> = {};
  const outcomes: Record<string, number> = {};
  for (const record of records) {
    if (record.status === 'FAILED') count(failures, record.error?.name ?? 'unknown');
    for (const r of resultsOf(record)) count(outcomes, r.reason ? `${r.outcome}: ${r.reason}` : r.outcome);
  }

  const all = local.emulator.calls();
  const ok = local.emulator.successfulCalls();
  const byAction: Record<string, ActionCalls> = {};
  for (const [action, calls] of Object.entries(all)) {
    if (!EC2_ACTION.test(action)) continue;
    const succeeded = ok[action] ?? 0;
    byAction[action] = { calls, succeeded, failed: calls - succeeded };
  }
  const total = sum(Object.values(byAction).map((a) => a.calls));
  const createsNeeded = enis.eligible.length;
  const minimum = minimumCalls(records.length, createsNeeded);

  const mutateBound = throttleBoundSeconds(createsNeeded, params.mutate);
  const describeBound = throttleBoundSeconds(describesNeeded(records.length, createsNeeded), params.describe);
  const lowerBound = Math.max(mutateBound, describeBound);
  const modelSeconds = o.realSeconds * params.scale;
  const transitions = sum(records.map((r) => r.stateTransitions));

  return {
    params: { concurrency: params.concurrency, scale: params.scale, describe: params.describe, mutate: params.mutate, burst: burst.params },
    timeModel: { scale: params.scale, sdkBackoff: o.sdkBackoff },
    scenario: {
      instances: burst.instances.length,
      twoEniInstances: burst.instances.filter((i) => i.networkInterfaceIds.length === 2).length,
      excludedInstances: burst.instances.filter((i) => i.kind === 'excluded').length,
      unsupportedInstances: burst.instances.filter((i) => i.kind === 'unsupported').length,
      events: burst.events.length,
      duplicateEvents: burst.duplicates,
      enis: { eligible: enis.eligible.length, excluded: enis.excluded.length, unsupported: enis.unsupported.length },
    },
    coverage: {
      eligibleEnis: enis.eligible.length,
      mirroredEnis: mirrored,
      duplicateSessions: duplicateSessions(sessions),
      unwantedSessions: sessions.filter((s) => s.managed && unwanted.has(s.networkInterfaceId)).length,
      wrongZoneSessions: accountOutcome(burst, emulated).wrongZoneSessions,
      mirroredInstances: burst.instances.filter((i) => i.networkInterfaceIds.some((id) => mirroredSet.has(id))).length,
    },
    executions: {
      total: records.length,
      succeeded: records.filter((r) => r.status === 'SUCCEEDED').length,
      failed: records.filter((r) => r.status === 'FAILED').length,
      failures,
      outcomes,
    },
    ec2: {
      byAction,
      total,
      throttled: o.http.status503,
      minimum,
      perMirroredEni: ratio(total, mirrored),
      minimumPerMirroredEni: ratio(minimum.total, mirrored),
      ratioToMinimum: ratio(total, minimum.total),
      http: o.http,
      emulatorTotal: sum(Object.values(all)),
    },
    lambdaInvocations: o.invocations,
    sessionTimes: sessionTimes(burst, o.firstSeen),
    time: {
      realSeconds: o.realSeconds,
      modelSeconds,
      createsNeeded,
      mutateBoundSeconds: mutateBound,
      describeBoundSeconds: describeBound,
      lowerBoundSeconds: lowerBound,
      ratioToBound: ratio(modelSeconds, lowerBound),
      eventLoopUtilization: o.elu,
    },
    transitions: {
      happyPath: o.happyPath,
      total: transitions,
      perExecution: transitions / Math.max(1, records.length),
      perInstance: transitions / Math.max(1, burst.instances.length),
    },
  };
}
