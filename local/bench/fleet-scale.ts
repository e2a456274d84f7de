import { performance } from 'node:perf_hooks';
import { ROUND_RESERVE_MS } from '../../src/mirroring/reconcile-round.ts';
import { startLocalAutotap, type LocalAutotap } from '../environment.ts';
import { loadStateMachine, runExecution, HISTORY_EVENT_LIMIT, STATES_PAYLOAD_LIMIT_BYTES, type ExecutionRecord } from '../stepfunctions/runner.ts';
import { generateFleet, inFlight, terminationEvent, type Fleet, type FleetParams } from './fleet.ts';
import { ratio, sum, throttleBoundSeconds, type TokenBucketModel } from './metrics.ts';
import { DEFAULT_MIRRORING } from './mirroring.ts';
import type { ReconcileMemoryResult } from './reconcile-memory.ts';
import { scaledMachine, scaleSdkBackoff, timeModel } from './time-model.ts';

/**
 * The fleet-scale half of the benchmark: a scheduled `reconcile` of a 20,000-instance account and
 * the `cleanup-sessions` executions after 5,000 of its instances terminate, through the real
 * definitions and handlers on the emulator under EC2's token buckets, in scaled time (as the
 * mirroring burst: time-model.ts). Reported against Step Functions' quotas (256 KiB per state,
 * 25,000 history events) and against the fewest EC2 calls the work allows.
 */

export interface FleetScaleParams {
  fleet: Partial<FleetParams>;
  /** Instances terminated for the cleanup half. */
  terminated: number;
  /** cleanup-sessions executions in flight at once. */
  concurrency: number;
  scale: number;
  describe: TokenBucketModel;
  mutate: TokenBucketModel;
  onProgress?: (line: string) => void;
}

export const DEFAULT_FLEET_SCALE: Omit<FleetScaleParams, 'fleet'> = {
  terminated: 5000,
  concurrency: 100,
  scale: DEFAULT_MIRRORING.scale,
  describe: DEFAULT_MIRRORING.describe,
  mutate: DEFAULT_MIRRORING.mutate,
};

/** EC2 returns at most 1,000 items a page, and a filter takes at most 200 values. */
const PAGE = 1000;
const FILTER_VALUES = 200;

export interface WorkflowAtScale {
  workflow: 'reconcile' | 'cleanup-sessions';
  executions: number;
  succeeded: number;
  failures: Record<string, number>;
  counts: Record<string, number>;
  /** The largest state input, output or Task result of any execution, in bytes. */
  largestPayloadBytes: number;
  payloadLimitBytes: number;
  /** The most history events of one execution. */
  historyEvents: number;
  historyLimit: number;
  /** reconcile: rounds run. */
  rounds?: number;
  ec2: { byAction: Record<string, number>; total: number; minimum: Record<string, number>; minimumTotal: number; ratioToMinimum: number };
  time: { realSeconds: number; modelSeconds: number; lowerBoundSeconds: number; ratioToBound: number };
}

export interface FleetScaleResult {
  params: Omit<FleetScaleParams, 'onProgress' | 'fleet'> & { fleet: FleetParams };
  account: { instances: number; enis: number; sessions: number; creates: number; deletes: number; modifies: number; skips: number };
  reconcile: WorkflowAtScale;
  cleanup: WorkflowAtScale;
  /** The reconciler's memory and CPU per 10,000 instances (reconcile-memory.ts); filled in by the benchmark. */
  memory?: ReconcileMemoryResult;
}

const EC2_ACTION = /^(Describe|Create|Delete|Modify)/;

function ec2Calls(local: LocalAutotap): Record<string, number> {
  return Object.fromEntries(Object.entries(local.emulator.calls()).filter(([action]) => EC2_ACTION.test(action)));
}

function add(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

function summarize(
  workflow: WorkflowAtScale['workflow'],
  records: ExecutionRecord[],
  byAction: Record<string, number>,
  minimum: Record<string, number>,
  realSeconds: number,
  params: FleetScaleParams,
): WorkflowAtScale {
  const counts: Record<string, number> = {};
  const failures: Record<string, number> = {};
  for (const r of records) {
    if (r.status === 'SUCCEEDED') add(counts, (r.output as { counts?: Record<string, number> }).counts ?? {});
    else failures[r.error?.name ?? 'unknown'] = (failures[r.error?.name ?? 'unknown'] ?? 0) + 1;
  }
  const mutations = sum(Object.entries(minimum).filter(([a]) => !a.startsWith('Describe')).map(([, v]) => v));
  const describes = sum(Object.entries(minimum).filter(([a]) => a.startsWith('Describe')).map(([, v]) => v));
  const lowerBound = Math.max(throttleBoundSeconds(mutations, params.mutate), throttleBoundSeconds(describes, params.describe));
  const total = sum(Object.values(byAction));
  const minimumTotal = sum(Object.values(minimum));
  const modelSeconds = realSeconds * params.scale;
  return {
    workflow,
    executions: records.length,
    succeeded: records.filter((r) => r.status === 'SUCCEEDED').length,
    failures,
    counts,
    largestPayloadBytes: Math.max(0, ...records.map((r) => r.largestPayloadBytes)),
    payloadLimitBytes: STATES_PAYLOAD_LIMIT_BYTES,
    historyEvents: Math.max(0, ...records.map((r) => r.historyEvents)),
    historyLimit: HISTORY_EVENT_LIMIT,
    ec2: { byAction, total, minimum, minimumTotal, ratioToMinimum: ratio(total, minimumTotal) },
    time: { realSeconds, modelSeconds, lowerBoundSeconds: lowerBound, ratioToBound: ratio(modelSeconds, lowerBound) },
  };
}

/**
 * The fewest EC2 calls of one reconcile round over the account: every page of instances and of
 * sessions, the targets, the standing of the ENIs outside them (200 a call), one call per change.
 */
export function reconcileMinimum(fleet: Fleet): Record<string, number> {
  const sessions = fleet.seed.sessions?.length ?? 0;
  const orphans = fleet.params.detachedEnis;
  return {
    DescribeInstances: Math.ceil(fleet.params.instances / PAGE),
    DescribeTrafficMirrorSessions: Math.max(1, Math.ceil(sessions / PAGE)),
    DescribeTrafficMirrorTargets: 1,
    DescribeNetworkInterfaces: Math.ceil(orphans / FILTER_VALUES),
    CreateTrafficMirrorSession: fleet.expected.creates,
    DeleteTrafficMirrorSession: fleet.expected.deletes,
    ModifyTrafficMirrorSession: fleet.expected.modifies,
  };
}

/**
 * The fewest EC2 calls of the cleanups after the reconcile: per terminated instance, the instance and its
 * sessions (by autotap's description); where sessions outlive it, the standing of their ENIs and one
 * delete each.
 */
export function cleanupMinimum(fleet: Fleet, terminated: readonly string[]): Record<string, number> {
  const lingering = terminated.map((id) => fleet.sessionsKeptOnTermination.reconciled.get(id) ?? 0);
  return {
    DescribeInstances: terminated.length,
    DescribeTrafficMirrorSessions: terminated.length,
    DescribeNetworkInterfaces: lingering.filter((n) => n > 0).length,
    DeleteTrafficMirrorSession: sum(lingering),
  };
}

export const FLEET_SCALE_USAGE = `fleet: --fleet-instances N (default 20,000), --fleet-terminated N (5,000)`;

export async function runFleetScaleBench(input: Partial<FleetScaleParams> = {}): Promise<FleetScaleResult> {
  const params = { ...DEFAULT_FLEET_SCALE, ...input, fleet: input.fleet ?? {} };
  const progress = params.onProgress ?? (() => undefined);
  const fleet = generateFleet(params.fleet);
  const time = timeModel(params.scale);
  const sdk = await scaleSdkBackoff(params.scale);
  process.env.AWS_RETRY_MODE = 'adaptive';
  process.env.AWS_MAX_ATTEMPTS = '5';
  const faults = { throttle: { describe: params.describe, mutate: params.mutate } };
  const local = await startLocalAutotap(fleet.seed, fleet.config, { clock: time.clock, faults });
  try {
    // A round's Lambda has 300 model seconds: the time it applies changes is scaled, its reserve not.
    const roundTimeoutMs = ROUND_RESERVE_MS + (300_000 - ROUND_RESERVE_MS) / params.scale;
    const reconcileMachine = scaledMachine(loadStateMachine('reconcile'), params.scale);
    let rounds = 0;
    progress(`fleet: reconcile of ${fleet.params.instances.toLocaleString('en-US')} instances ...`);
    let start = performance.now();
    const reconcile = await runExecution(reconcileMachine, { 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} }, {
      timeoutsMs: { reconcileRound: roundTimeoutMs },
      onInvoke: (fn) => (rounds += fn === 'reconcileRound' ? 1 : 0),
    });
    const reconcileResult = summarize('reconcile', [reconcile], ec2Calls(local), reconcileMinimum(fleet), (performance.now() - start) / 1000, params);
    reconcileResult.rounds = rounds;

    local.emulator.resetCalls();
    const terminated = fleet.instanceIds.slice(0, params.terminated);
    for (const id of terminated) local.emulator.terminateInstance(id);
    progress(`fleet: ${terminated.length.toLocaleString('en-US')} cleanup-sessions executions ...`);
    const cleanupMachine = scaledMachine(loadStateMachine('cleanup-sessions'), params.scale);
    start = performance.now();
    const cleanups = await inFlight(terminated, params.concurrency, (id) => runExecution(cleanupMachine, terminationEvent(id)));
    const cleanupResult = summarize('cleanup-sessions', cleanups, ec2Calls(local), cleanupMinimum(fleet, terminated), (performance.now() - start) / 1000, params);
    const { onProgress: _onProgress, ...shown } = params;
    return {
      params: { ...shown, fleet: fleet.params },
      account: { instances: fleet.params.instances, sessions: fleet.seed.sessions?.length ?? 0, ...fleet.expected },
      reconcile: reconcileResult,
      cleanup: cleanupResult,
    };
  } finally {
    sdk.restore();
    await local.close();
  }
}
