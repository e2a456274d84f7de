import { performance } from 'node:perf_hooks';
import type { OrganizationSeed } from '../emulator/organization.ts';
import { parseConfig } from '../../src/config/load.ts';
import { FILTER_TAG } from '../../src/mirroring/types.ts';
import { ROUND_RESERVE_MS } from '../../src/mirroring/reconcile-round.ts';
import { startLocalAutotap } from '../environment.ts';
import { memberRoleOf } from '../member-role.ts';
import { HISTORY_EVENT_LIMIT, loadStateMachine, runExecution, STATES_PAYLOAD_LIMIT_BYTES } from '../stepfunctions/runner.ts';
import { atLeast, atMost, ratio, sum, throttleBoundSeconds, type TargetCheck, type TokenBucketModel } from './metrics.ts';
import { DEFAULT_MIRRORING } from './mirroring.ts';
import { scaledMachine, scaleSdkBackoff, timeModel } from './time-model.ts';

/**
 * The organization run of the benchmark: one scheduled `reconcile` from the central account over
 * every member account and Region (50 accounts x 2 Regions, 20,000 instances in all, none mirrored
 * yet), through the real definitions and handlers on the local AWS played as an organization. Each
 * execution's place assumes the member role (the member template's policy, enforced) and mirrors to
 * the central target shared with it through RAM. EC2 meters every account and Region on its own,
 * so each place has its own token buckets (the burst's), and time is scaled as in the burst.
 */

export interface OrganizationBenchParams {
  accounts: number;
  regions: string[];
  instances: number;
  /** Share of instances carrying `autotap:mirror=false`: out of scope, never mirrored. */
  excludedShare: number;
  /** Places the reconcile's Map works on at once (its MaxConcurrency). */
  mapConcurrency: number;
  scale: number;
  describe: TokenBucketModel;
  mutate: TokenBucketModel;
  onProgress?: (line: string) => void;
}

export const DEFAULT_ORGANIZATION: Omit<OrganizationBenchParams, 'onProgress'> = {
  accounts: 50,
  regions: ['us-east-1', 'eu-west-1'],
  instances: 20_000,
  excludedShare: 0.1,
  mapConcurrency: 10,
  scale: DEFAULT_MIRRORING.scale,
  describe: DEFAULT_MIRRORING.describe,
  mutate: DEFAULT_MIRRORING.mutate,
};

export interface OrganizationResult {
  params: Omit<OrganizationBenchParams, 'onProgress'>;
  places: number;
  eligible: number;
  mirrored: number;
  duplicates: number;
  /** Sessions in accounts outside the scope, or made by the central account itself. */
  outsideScope: number;
  status: string;
  failedPlaces: number;
  largestPayloadBytes: number;
  payloadLimitBytes: number;
  historyEvents: number;
  historyLimit: number;
  assumeRoleCalls: number;
  ec2: { byAction: Record<string, number>; total: number; minimumTotal: number; ratioToMinimum: number };
  time: { realSeconds: number; modelSeconds: number; lowerBoundSeconds: number; ratioToBound: number };
}

const CENTRAL = '100000000000';
const DENIED = '199999999999';
const STAGE = 'dev';
const TARGET_OF = (region: string) => `tmt-0c${region === 'us-east-1' ? 1 : 2}`;
const filterOf = (place: number) => `tmf-0f${place.toString(16).padStart(6, '0')}`;
const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

interface Generated {
  config: ReturnType<typeof parseConfig>;
  central: Record<string, unknown>;
  organization: OrganizationSeed;
  eligible: Map<string, Set<string>>;
  creates: number[];
}

function generate(params: OrganizationBenchParams): Generated {
  const members = Array.from({ length: params.accounts }, (_, i) => String(200000000000 + i));
  const config = parseConfig({
    mirroring: { filterId: 'tmf-0c0000', targets: params.regions.map((r) => ({ id: TARGET_OF(r) })) },
    organization: {
      id: 'o-a1b2c3d4e5',
      centralAccountId: CENTRAL,
      regions: params.regions,
      accounts: { deny: [DENIED] },
    },
  });
  const perPlace = Math.floor(params.instances / (members.length * params.regions.length));
  const eligible = new Map<string, Set<string>>();
  const creates: number[] = [];
  const places: NonNullable<OrganizationSeed['places']> = [];
  const roles: NonNullable<OrganizationSeed['roles']> = [];
  let placeIndex = 0;
  for (const accountId of [...members, DENIED])
    for (const region of params.regions) {
      placeIndex += 1;
      const filterId = filterOf(placeIndex);
      const instances = Array.from({ length: accountId === DENIED ? 10 : perPlace }, (_, n) => {
        const id = `i-${hex(placeIndex, 5)}${hex(n, 12)}`;
        // Every tenth instance opts out, at a fixed stride: the same share in every place.
        const excluded = (n * params.excludedShare) % 1 >= 1 - params.excludedShare - 1e-9;
        return {
          id,
          availabilityZone: `${region}a`,
          networkInterfaces: [{ id: `eni-${id.slice(2)}` }],
          ...(excluded ? { tags: { 'autotap:mirror': 'false' } } : {}),
        };
      });
      const inScope = instances.filter((i) => !i.tags).map((i) => i.networkInterfaces[0]!.id);
      if (accountId !== DENIED) {
        eligible.set(`${accountId}/${region}`, new Set(inScope));
        creates.push(inScope.length);
      }
      places.push({
        accountId,
        region,
        seed: { filters: [{ id: filterId, tags: { [FILTER_TAG]: STAGE } }], instances },
      });
      roles.push(memberRoleOf(config, STAGE, { accountId, region, filterId }));
    }
  const others = params.regions.filter((r) => r !== 'us-east-1');
  places.push(
    ...others.map((region) => ({
      accountId: CENTRAL,
      region,
      seed: { targets: [{ id: TARGET_OF(region), type: 'network-load-balancer' }] },
    })),
  );
  return {
    config,
    central: {
      accountId: CENTRAL,
      region: 'us-east-1',
      targets: [{ id: TARGET_OF('us-east-1'), type: 'network-load-balancer' }],
      filters: [{ id: 'tmf-0c0000' }],
    },
    organization: {
      callerRoleArn: `arn:aws:iam::${CENTRAL}:role/autotap-${STAGE}-ReconcileRoundRole-0A1B2C`,
      places,
      roles,
      shares: params.regions.map((region) => ({
        targetId: TARGET_OF(region),
        region,
        ownerAccountId: CENTRAL,
        accounts: [...members, DENIED],
      })),
    },
    eligible,
    creates,
  };
}

const EC2_ACTION = /^(Describe|Create|Delete|Modify)/;

export async function runOrganizationBench(input: Partial<OrganizationBenchParams> = {}): Promise<OrganizationResult> {
  const params = { ...DEFAULT_ORGANIZATION, ...input };
  const progress = params.onProgress ?? (() => undefined);
  const generated = generate(params);
  const time = timeModel(params.scale);
  const sdk = await scaleSdkBackoff(params.scale);
  process.env.AWS_RETRY_MODE = 'adaptive';
  process.env.AWS_MAX_ATTEMPTS = '5';
  const local = await startLocalAutotap(generated.central, generated.config, {
    clock: time.clock,
    organization: generated.organization,
  });
  // Each account and Region has EC2 buckets of its own, as EC2 meters them.
  const faults = { throttle: { describe: params.describe, mutate: params.mutate } };
  for (const place of local.emulator.organization.allPlaces())
    local.emulator.setPlaceFaults(place.accountId, place.region, faults);
  try {
    const roundTimeoutMs = ROUND_RESERVE_MS + (300_000 - ROUND_RESERVE_MS) / params.scale;
    const machine = scaledMachine(loadStateMachine('reconcile'), params.scale);
    const placeCount = generated.eligible.size + params.regions.length;
    progress(
      `organization: reconcile of ${params.accounts} accounts x ${params.regions.length} Regions, ${params.instances.toLocaleString('en-US')} instances ...`,
    );
    const start = performance.now();
    const record = await runExecution(
      machine,
      { 'detail-type': 'Scheduled Event', source: 'aws.events', account: CENTRAL, region: 'us-east-1', detail: {} },
      { timeoutsMs: { reconcileRound: roundTimeoutMs } },
    );
    const realSeconds = (performance.now() - start) / 1000;

    let mirrored = 0;
    let duplicates = 0;
    let outsideScope = 0;
    for (const place of local.emulator.organization.allPlaces()) {
      const managed = [...place.sessions.values()].filter((s) => s.tags['autotap:managed'] === 'true');
      const wanted = generated.eligible.get(`${place.accountId}/${place.region}`);
      if (!wanted) {
        outsideScope += managed.length;
        continue;
      }
      const byEni = new Map<string, number>();
      for (const s of managed) byEni.set(s.networkInterfaceId, (byEni.get(s.networkInterfaceId) ?? 0) + 1);
      mirrored += [...wanted].filter((eni) => byEni.has(eni)).length;
      duplicates += sum([...byEni.values()].map((n) => n - 1));
    }
    const calls = local.emulator.calls();
    const byAction = Object.fromEntries(Object.entries(calls).filter(([a]) => EC2_ACTION.test(a)));
    const placesInScope = placeCount;
    // Per place: the instances, sessions, targets and (in a member) its filter, one page each; one create per ENI.
    const creates = sum(generated.creates);
    const minimumTotal = placesInScope * 3 + generated.eligible.size + creates;
    // Places run mapConcurrency at a time, each held to its own mutate bucket: at best in waves.
    const perPlace = Math.max(...generated.creates.map((n) => throttleBoundSeconds(n, params.mutate)));
    const waves = Math.ceil(placesInScope / params.mapConcurrency);
    const lowerBoundSeconds = waves * perPlace;
    const modelSeconds = realSeconds * params.scale;
    const output = (record.output ?? {}) as { counts?: Record<string, number> };
    const { onProgress: _onProgress, ...shown } = params;
    return {
      params: shown,
      places: output.counts?.places ?? 0,
      eligible: sum([...generated.eligible.values()].map((s) => s.size)),
      mirrored,
      duplicates,
      outsideScope,
      status: record.status,
      failedPlaces: output.counts?.['failed-slices'] ?? 0,
      largestPayloadBytes: record.largestPayloadBytes,
      payloadLimitBytes: STATES_PAYLOAD_LIMIT_BYTES,
      historyEvents: record.historyEvents,
      historyLimit: HISTORY_EVENT_LIMIT,
      assumeRoleCalls: calls.AssumeRole ?? 0,
      ec2: { byAction, total: sum(Object.values(byAction)), minimumTotal, ratioToMinimum: ratio(sum(Object.values(byAction)), minimumTotal) },
      time: { realSeconds, modelSeconds, lowerBoundSeconds, ratioToBound: ratio(modelSeconds, lowerBoundSeconds) },
    };
  } finally {
    sdk.restore();
    await local.close();
  }
}

/** The burst's targets, held to the organization run: the same ratios, over every place. */
export function evaluateOrganizationTargets(result: OrganizationResult): TargetCheck[] {
  const pct = (n: number) => `${(100 * n).toFixed(1)}%`;
  const count = (n: number) => String(n);
  const times = (n: number) => `${n.toFixed(2)}x`;
  return [
    atLeast('org: ENIs mirrored / eligible', result.eligible === 0 ? 0 : result.mirrored / result.eligible, 1, pct),
    atMost('org: duplicate sessions', result.duplicates, 0, count),
    atMost('org: sessions outside the scope', result.outsideScope, 0, count),
    atMost('org: failed places', result.failedPlaces + (result.status === 'SUCCEEDED' ? 0 : 1), 0, count),
    atMost('org: EC2 calls / minimum', result.ec2.ratioToMinimum, 1.2, times),
    atMost('org: wall time / throttle bound', result.time.ratioToBound, 1.3, times),
    atMost('org: history events', result.historyEvents, result.historyLimit, count),
    atMost('org: largest state (bytes)', result.largestPayloadBytes, result.payloadLimitBytes, count),
  ];
}

export function renderOrganization(result: OrganizationResult): string {
  const p = result.params;
  return [
    `Organization: one scheduled reconcile over ${p.accounts} accounts x ${p.regions.length} Regions (${result.places} places in scope, a denied account left out), ${p.instances.toLocaleString('en-US')} instances, ${p.mapConcurrency} places at a time, each place with its own EC2 buckets, time x${p.scale}`,
    `  ${result.status}; ${result.mirrored.toLocaleString('en-US')} of ${result.eligible.toLocaleString('en-US')} eligible ENIs mirrored, ${result.duplicates} duplicates, ${result.outsideScope} sessions outside the scope, ${result.failedPlaces} failed places`,
    `  EC2 calls ${result.ec2.total.toLocaleString('en-US')} against a minimum of ${result.ec2.minimumTotal.toLocaleString('en-US')} (${result.ec2.ratioToMinimum.toFixed(2)}x); AssumeRole ${result.assumeRoleCalls}`,
    `  ${result.time.modelSeconds.toFixed(1)} model seconds (${result.time.realSeconds.toFixed(1)} s real) against the throttle bound of ${result.time.lowerBoundSeconds.toFixed(1)} s (${result.time.ratioToBound.toFixed(2)}x)`,
    `  largest state ${(result.largestPayloadBytes / 1024).toFixed(1)} KiB of ${result.payloadLimitBytes / 1024} KiB; ${result.historyEvents} history events of ${result.historyLimit.toLocaleString('en-US')}`,
  ].join('\n');
}
