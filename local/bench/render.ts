import type { BundleResults } from './bundles.ts';
import { costPerThousandInstances, PRICE_PER_TRANSITION_USD, ratio, type TargetCheck } from './metrics.ts';
import type { FleetScaleResult, WorkflowAtScale } from './fleet-scale.ts';
import type { LatencyResult } from './latency.ts';
import type { MirroringResult } from './mirroring.ts';
import type { LatencySummary } from './outcome.ts';
import type { PeersResult } from './peers.ts';

/** The benchmark's printed tables (also pasted into bench/README.md). Plain text, fixed-width columns. */

/** Columns are right-aligned (figures) except the first and those listed in `left` (text). */
export function table(headers: string[], rows: string[][], left: number[] = []): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const pad = (c: string, i: number) => (i === 0 || left.includes(i) ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0));
  const line = (cells: string[]) => cells.map(pad).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export const n = (x: number, digits = 0) => x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const usd = (x: number) => `$${x.toFixed(4)}`;

export function renderMirroring(m: MirroringResult): string {
  const s = m.scenario;
  const out: string[] = [];
  out.push(
    `Burst: ${n(s.instances)} instances (${n(s.twoEniInstances)} with two ENIs, ${s.excludedInstances} excluded by tag, ${s.unsupportedInstances} t2.*), ` +
      `${n(s.events)} events (${s.duplicateEvents} duplicates), ${m.params.concurrency} executions in flight.`,
    `Throttling model: describe bucket ${m.params.describe.capacity} refill ${m.params.describe.refillPerSecond}/s, ` +
      `mutate bucket ${m.params.mutate.capacity} refill ${m.params.mutate.refillPerSecond}/s; time x${m.params.scale} (${m.timeModel.sdkBackoff}).`,
    '',
  );

  out.push(
    table(
      ['Coverage', 'value'],
      [
        ['ENIs eligible', n(m.coverage.eligibleEnis)],
        ['ENIs mirrored', `${n(m.coverage.mirroredEnis)} (${((100 * m.coverage.mirroredEnis) / Math.max(1, m.coverage.eligibleEnis)).toFixed(1)}%)`],
        ['duplicate sessions', n(m.coverage.duplicateSessions)],
        ['sessions on excluded / unsupported ENIs', n(m.coverage.unwantedSessions)],
        ['sessions on a target in another zone', n(m.coverage.wrongZoneSessions)],
        ['executions succeeded / failed', `${n(m.executions.succeeded)} / ${n(m.executions.failed)}`],
        ...Object.entries(m.executions.failures).map(([name, count]) => [`  failed with ${name}`, n(count)]),
        ...Object.entries(m.executions.outcomes)
          .sort((a, b) => b[1] - a[1])
          .map(([outcome, count]) => [`  ENI outcome ${outcome}`, n(count)]),
      ],
    ),
    '',
  );

  const actions = Object.entries(m.ec2.byAction).sort((a, b) => b[1].calls - a[1].calls);
  out.push(
    table(
      ['EC2 calls', 'calls', 'succeeded', 'errors', 'minimum', 'ratio'],
      [
        ...actions.map(([action, c]) => {
          const min = m.ec2.minimum.byAction[action] ?? 0;
          return [action, n(c.calls), n(c.succeeded), n(c.failed), n(min), min > 0 ? `${ratio(c.calls, min).toFixed(2)}x` : '-'];
        }),
        ['total', n(m.ec2.total), n(m.ec2.total - m.ec2.throttled), n(m.ec2.throttled) + ' throttled', n(m.ec2.minimum.total), `${m.ec2.ratioToMinimum.toFixed(2)}x`],
        ['per mirrored ENI', n(m.ec2.perMirroredEni, 2), '', '', n(m.ec2.minimumPerMirroredEni, 2), ''],
      ],
    ),
    `SDK retries inside the Lambdas: ${n(m.ec2.http.sdkRetries)}; HTTP requests seen ${n(m.ec2.http.requests)} (answered ${n(m.ec2.http.responses)}, lost on the wire ${n(m.ec2.http.failedUnanswered)}), emulator log ${n(m.ec2.emulatorTotal)}. ` +
      `Lambda invocations: ${Object.entries(m.lambdaInvocations).map(([fn, c]) => `${fn} ${n(c)}`).join(', ')}.`,
    '',
  );

  out.push(
    table(
      ['Time (model seconds)', 'value'],
      [
        ['wall time', `${n(m.time.modelSeconds, 1)} s (${n(m.time.realSeconds, 1)} s real)`],
        ['throttle bound: mutate', `${n(m.time.mutateBoundSeconds, 1)} s = (${n(m.time.createsNeeded)} creates - ${m.params.mutate.capacity}) / ${m.params.mutate.refillPerSecond}/s`],
        ['throttle bound: describe', `${n(m.time.describeBoundSeconds, 1)} s`],
        ['wall time / bound', m.time.lowerBoundSeconds > 0 ? `${m.time.ratioToBound.toFixed(2)}x` : 'n/a'],
        ['event loop busy', `${(m.time.eventLoopUtilization * 100).toFixed(0)}%`],
      ],
    ),
    '',
  );

  const perMirroredInstance = m.transitions.total / Math.max(1, m.coverage.mirroredInstances);
  out.push(
    table(
      ['State transitions', 'per instance', `USD per 1,000 instances`],
      [
        ['happy path, one ENI', n(m.transitions.happyPath.oneEniTransitions), usd(costPerThousandInstances(m.transitions.happyPath.oneEniTransitions))],
        ['happy path, two ENIs', n(m.transitions.happyPath.twoEniTransitions), usd(costPerThousandInstances(m.transitions.happyPath.twoEniTransitions))],
        ['burst average (retries, duplicates)', n(m.transitions.perInstance, 2), usd(costPerThousandInstances(m.transitions.perInstance))],
        ['burst, per mirrored instance', n(perMirroredInstance, 2), usd(costPerThousandInstances(perMirroredInstance))],
      ],
    ),
    `(${n(m.transitions.total)} transitions in ${n(m.executions.total)} executions; $${(PRICE_PER_TRANSITION_USD * 1000).toFixed(3)} per 1,000 transitions)`,
  );
  return out.join('\n');
}

export function renderBundles(b: BundleResults): string {
  const emptyMs = b.empty.loadMs;
  const mb = (bytes: number) => `${n(bytes / 1_000_000, 1)} MB`;
  const rows = [b.empty, ...b.functions].map((f) => {
    const fn = b.functions.find((x) => x === f);
    return [
      f.name,
      `${n(f.bytes / 1000, 1)} kB`,
      `${n(f.loadMs, 1)} ms`,
      f === b.empty ? '1.0x' : `${ratio(f.loadMs, emptyMs).toFixed(1)}x`,
      fn ? `${n(fn.sdkFloor.loadMs, 1)} ms` : '',
      fn ? `${fn.ratioToSdkFloor.toFixed(2)}x` : '',
      fn ? `${mb(f.rssAfterLoad)} / ${n(fn.memoryMb)} MB` : mb(f.rssAfterLoad),
      f.packages.slice(0, 3).map((p) => `${p.input} ${n(p.bytes / 1000)} kB`).join(', '),
    ];
  });
  const biggest = [...b.functions].sort((x, y) => y.bytes - x.bytes)[0];
  const lines = [
    table(['Lambda bundle', 'minified', 'load (median)', 'vs empty', 'SDK floor', 'vs SDK floor', 'RSS loaded / memory', 'largest packages'], rows, [7]),
    `(esbuild options and stage ${b.stage}'s bundled config from serverless.yml; load = import in a fresh ${b.node} process, median of ${b.samples}, interleaved rounds;`,
    ' SDK floor = a bundle importing only the AWS SDK names the Lambda imports, built alike and loaded next to the Lambda in each round;',
    ' vs SDK floor = median of the per-round ratios;',
    ' RSS after the import, against the memory the stack gives the function)',
  ];
  if (biggest) {
    lines.push('', `Largest inputs of the biggest bundle (${biggest.name}):`);
    lines.push(table(['input', 'bytes in output'], biggest.topInputs.slice(0, 10).map((i) => [i.input, n(i.bytes)])));
  }
  return lines.join('\n');
}

const seconds = (x: number | null) => (x === null ? 'never' : Number.isFinite(x) ? `${n(x, 1)} s` : 'never');
const share = (part: number, whole: number) => `${((100 * part) / Math.max(1, whole)).toFixed(1)}%`;

/** autotap and each alternative side by side on the same burst. */
export function renderPeers(m: MirroringResult | null, p: PeersResult): string {
  const rows: string[][] = [];
  if (m) {
    const times = m.sessionTimes.seconds;
    const last = times.every((t) => t !== null) && times.length > 0 ? Math.max(...times) : null;
    rows.push([
      'autotap',
      share(m.coverage.mirroredEnis, m.coverage.eligibleEnis),
      n(m.coverage.duplicateSessions),
      n(m.coverage.wrongZoneSessions),
      n(m.coverage.unwantedSessions),
      `${n(m.ec2.total)} (${n(m.ec2.throttled)})`,
      seconds(last),
    ]);
  }
  for (const r of p.strategies) {
    rows.push([
      r.name,
      share(r.outcome.mirroredEnis, r.outcome.eligibleEnis),
      n(r.outcome.duplicateSessions),
      n(r.outcome.wrongZoneSessions),
      n(r.outcome.unwantedSessions),
      `${n(r.ec2.calls)} (${n(r.ec2.throttled)})`,
      r.lastMirroredSeconds === null ? `never (last session ${seconds(r.lastSessionSeconds)})` : seconds(r.lastMirroredSeconds),
    ]);
  }
  const invocations = p.strategies.map(
    (r) =>
      `${r.name} ${n(r.invocations.total)} (${n(r.invocations.failed)} failed, ${n(r.invocations.retried)} retried by Lambda, ${n(r.invocations.timedOut)} timed out` +
      `${r.invocations.leftWaiting > 0 ? `, ${n(r.invocations.leftWaiting)} events still waiting at ${n(p.params.maxModelSeconds)} s` : ''})`,
  );
  return [
    `Alternatives on the same burst, emulator and throttling (real SDK clients); scans every ${n(p.params.scanPeriodSeconds)} s, the launch ${n(p.params.scanPhaseSeconds)} s before the next scan.`,
    '',
    table(['Strategy', 'eligible ENIs mirrored', 'duplicate sessions', 'wrong zone', 'on excluded / unsupported', 'EC2 calls (throttled)', 'last ENI mirrored (model)'], rows),
    `Lambda invocations: ${invocations.join('; ')}.`,
  ].join('\n');
}

const latencyCells = (l: LatencySummary) => [seconds(l.p50), seconds(l.p95), seconds(l.p99), seconds(l.max)];

export function renderLatency(l: LatencyResult): string {
  const rows = l.rows.flatMap((r) => [
    [r.name, 'quiet (one launch)', ...latencyCells(r.quiet)],
    ['', `burst${r.burst.neverMirrored > 0 ? ` (${n(r.burst.neverMirrored)} never)` : ''}`, ...latencyCells(r.burst)],
  ]);
  const m = l.model;
  return [
    table(['Launch to mirrored, per ENI', 'account', 'p50', 'p95', 'p99', 'max'], rows, [1]),
    `(measured model seconds from the launch to the session existing, plus the model's platform latencies: EventBridge delivery ${m.eventBridgeDeliverySeconds} s,`,
    ` Step Functions ${m.stepFunctionsTransitionSeconds} s per state x ${l.transitionsBeforeSession} states before the session, Lambda cold start ${m.lambdaColdProvisionSeconds} s + the module load`,
    ` (autotap: measured, ${Object.entries(l.moduleLoadSeconds).map(([k, v]) => `${k} ${n(v * 1000)} ms`).join(', ')}; alternatives: ${m.lambdaModuleLoadFallbackSeconds} s), warm invocation ${m.lambdaWarmInvokeSeconds} s;`,
    ` autotap adds ${n(l.platformSeconds.cold, 2)} s per cold execution, ${n(l.platformSeconds.warm, 2)} s per warm one. Assumptions: local/bench/latency-model.ts)`,
  ].join('\n');
}

export function renderTargets(checks: TargetCheck[]): string {
  return table(
    ['Target', 'measured', 'target', 'result'],
    checks.map((c) => [c.name, c.measured, c.target, c.pass ? 'pass' : `MISS: ${c.miss}`]),
    [3],
  );
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

export function renderFleetScale(f: FleetScaleResult): string {
  const a = f.account;
  const rows = (w: WorkflowAtScale): string[] => {
    const failed = Object.entries(w.failures).map(([name, count]) => `${count} ${name}`).join(', ');
    return [
      w.workflow,
      `${n(w.succeeded)} / ${n(w.executions)}${failed ? ` (${failed})` : ''}`,
      `${kib(w.largestPayloadBytes)} / ${kib(w.payloadLimitBytes)}`,
      `${n(w.historyEvents)} / ${n(w.historyLimit)}`,
      `${n(w.ec2.total)} / ${n(w.ec2.minimumTotal)} (${w.ec2.ratioToMinimum.toFixed(2)}x)`,
      `${n(w.time.modelSeconds, 1)} s (bound ${n(w.time.lowerBoundSeconds, 1)} s, ${w.time.ratioToBound.toFixed(2)}x)`,
    ];
  };
  const actions = [...new Set([...Object.keys(f.reconcile.ec2.byAction), ...Object.keys(f.reconcile.ec2.minimum), ...Object.keys(f.cleanup.ec2.byAction)])].sort();
  const counts = (w: WorkflowAtScale) => Object.entries(w.counts).sort(([x], [y]) => x.localeCompare(y)).map(([k, v]) => `${k} ${n(v)}`).join(', ');
  return [
    `Fleet: ${n(a.instances)} running instances, ${n(a.enis)} ENIs (1-3 each), ${n(a.sessions)} sessions; drift to repair: ${n(a.creates)} unmirrored ENIs, ` +
      `${n(a.deletes)} sessions to delete (excluded by tag or on detached ENIs), ${n(a.modifies)} on an old filter; ${n(a.skips)} excluded ENIs.`,
    `Then ${n(f.params.terminated)} instances terminate: one cleanup-sessions execution each, ${f.params.concurrency} in flight. ` +
      `Throttling as above: describe bucket ${f.params.describe.capacity} refill ${f.params.describe.refillPerSecond}/s, mutate ${f.params.mutate.capacity} refill ${f.params.mutate.refillPerSecond}/s; time x${f.params.scale}.`,
    '',
    table(['Workflow', 'succeeded', 'largest state', 'history events (max)', 'EC2 calls / minimum', 'wall time (model)'], [rows(f.reconcile), rows(f.cleanup)]),
    `reconcile: ${f.reconcile.rounds ?? 0} round(s); ${counts(f.reconcile)}.`,
    `cleanup-sessions: ${counts(f.cleanup)}.`,
    '',
    table(
      ['EC2 calls', 'reconcile', 'minimum', 'cleanup', 'minimum'],
      actions.map((action) => [
        action,
        n(f.reconcile.ec2.byAction[action] ?? 0),
        n(f.reconcile.ec2.minimum[action] ?? 0),
        n(f.cleanup.ec2.byAction[action] ?? 0),
        n(f.cleanup.ec2.minimum[action] ?? 0),
      ]),
    ),
    '(minimum: reconcile, one round: every page of instances and sessions, the targets, the standing of',
    ' detached ENIs, one call per change; cleanup: per instance its describe and its sessions, the standing',
    ' of ENIs that outlive it, one delete per lingering session. Throttled calls are counted as calls.)',
  ].join('\n');
}
