import { randomUUID } from 'node:crypto';
import { parseConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import type { EmulatorSeed, InstanceSeed } from '../emulator/index.ts';
import { seededRandom } from '../emulator/faults.ts';

/**
 * A launch burst: N instances start at once, EventBridge sends one state-change event per instance
 * (plus a few duplicates, as it may), and each event starts one `mirror-instances` execution.
 */

export interface BurstParams {
  instances: number;
  /** Share of instances with a second ENI (device index 1). */
  twoEniShare: number;
  /** Share of instances carrying the exclusion tag `autotap:mirror=false` (out of scope). */
  excludedShare: number;
  /** Share of instances of an instance type Traffic Mirroring does not support (t2.*). */
  unsupportedShare: number;
  /** Share of events EventBridge delivers twice. */
  duplicateShare: number;
  /** Duplicates arrive at most this many events after their original. */
  duplicateSpread: number;
  seed: number;
}

export const DEFAULT_BURST: BurstParams = {
  instances: 1000,
  twoEniShare: 0.4,
  excludedShare: 0.02,
  unsupportedShare: 0.02,
  duplicateShare: 0.03,
  duplicateSpread: 20,
  seed: 42,
};

export type InstanceKind = 'eligible' | 'excluded' | 'unsupported';

export interface BurstInstance {
  instanceId: string;
  kind: InstanceKind;
  networkInterfaceIds: string[];
  availabilityZone: string;
}

/** The EventBridge event EC2 sends when an instance reaches `running`. */
export interface StateChangeEvent {
  version: '0';
  id: string;
  'detail-type': 'EC2 Instance State-change Notification';
  source: 'aws.ec2';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: { 'instance-id': string; state: 'running' };
}

export interface Burst {
  params: BurstParams;
  seed: EmulatorSeed;
  config: Config;
  instances: BurstInstance[];
  /** In delivery order, duplicates included. */
  events: StateChangeEvent[];
  duplicates: number;
}

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
export const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
// m6i is among the Nitro families AWS lists as unsupported sources (src/mirroring/instance-types.ts).
const SUPPORTED_TYPES = ['m5.large', 'c5.xlarge', 'r5.large', 'm5d.large', 't3.medium'];
const UNSUPPORTED_TYPES = ['t2.micro', 't2.medium'];
/**
 * One load balancer target per zone, as the alternatives' documentation and autotap's zone-first
 * choice both expect (cross-zone mirroring costs data transfer): the zone is configured, since
 * DescribeTrafficMirrorTargets reports none.
 */
export const ZONAL_TARGETS: readonly { id: string; availabilityZone: string }[] = ZONES.map((zone, k) => ({ id: `tmt-0a${k + 1}`, availabilityZone: zone }));
export const FILTER_ID = 'tmf-0f1';

/** Ids stay valid for both the emulator and the workflow's input check (hex digits only). */
const hex = (prefix: string, n: number) => `${prefix}-${(0x100000 + n).toString(16)}`;

/**
 * Which of `total` items get a share, spread evenly (deterministic, no rounding drift); at least
 * one when the share is not zero, so that a small run still has every kind of instance.
 */
function picks(total: number, share: number, offset: number): Set<number> {
  const count = share > 0 ? Math.min(total, Math.max(1, Math.round(total * share))) : 0;
  const chosen = new Set<number>();
  for (let k = 0; k < count; k += 1) chosen.add((Math.floor(((k + 0.5) * total) / count) + offset) % total);
  return chosen;
}

export function generateBurst(overrides: Partial<BurstParams> = {}): Burst {
  const params = { ...DEFAULT_BURST, ...overrides };
  const random = seededRandom(params.seed);
  const excluded = picks(params.instances, params.excludedShare, 1);
  const unsupported = picks(params.instances, params.unsupportedShare, 3);
  const instances: BurstInstance[] = [];
  const seeds: InstanceSeed[] = [];
  const launchTime = new Date(Date.UTC(2026, 10, 11, 21, 29, 54)).toISOString();

  for (let i = 0; i < params.instances; i += 1) {
    const instanceId = hex('i', i);
    const kind: InstanceKind = excluded.has(i) && !unsupported.has(i) ? 'excluded' : unsupported.has(i) ? 'unsupported' : 'eligible';
    const enis = [hex('eni', 2 * i), ...(random() < params.twoEniShare ? [hex('eni', 2 * i + 1)] : [])];
    const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)] as T;
    // Drawn in this order so that a seed gives the same burst as before zones were recorded here.
    const instanceType = kind === 'unsupported' ? pick(UNSUPPORTED_TYPES) : pick(SUPPORTED_TYPES);
    const availabilityZone = pick(ZONES);
    instances.push({ instanceId, kind, networkInterfaceIds: enis, availabilityZone });
    seeds.push({
      id: instanceId,
      instanceType,
      availabilityZone,
      launchTime,
      tags: kind === 'excluded' ? { Name: instanceId, 'autotap:mirror': 'false' } : { Name: instanceId },
      networkInterfaces: enis.map((id, deviceIndex) => ({ id, deviceIndex })),
    });
  }

  const originals = instances.map((instance) => stateChangeEvent(instance.instanceId, launchTime));
  const events = [...originals];
  // A duplicate is the same event (same id) delivered again shortly after the first delivery.
  const duplicated = picks(params.instances, params.duplicateShare, 7);
  const inserts = [...duplicated]
    .map((i) => ({ at: Math.min(events.length, i + 1 + Math.floor(random() * params.duplicateSpread)), event: originals[i] as StateChangeEvent }))
    .sort((a, b) => b.at - a.at);
  for (const { at, event } of inserts) events.splice(at, 0, structuredClone(event));

  return {
    params,
    seed: {
      region: REGION,
      accountId: ACCOUNT,
      targets: ZONAL_TARGETS.map(({ id, availabilityZone }) => ({ id, type: 'network-load-balancer' as const, availabilityZone })),
      filters: [{ id: FILTER_ID }],
      instances: seeds,
    },
    config: parseConfig({ mirroring: { filterId: FILTER_ID, targets: ZONAL_TARGETS.map((t) => ({ ...t })) } }),
    instances,
    events,
    duplicates: inserts.length,
  };
}

function stateChangeEvent(instanceId: string, time: string): StateChangeEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'EC2 Instance State-change Notification',
    source: 'aws.ec2',
    account: ACCOUNT,
    time,
    region: REGION,
    resources: [`arn:aws:ec2:${REGION}:${ACCOUNT}:instance/${instanceId}`],
    detail: { 'instance-id': instanceId, state: 'running' },
  };
}

/** ENIs by what the workflow should do with them. */
export function expectedEnis(instances: readonly BurstInstance[]): Record<InstanceKind, string[]> {
  const out: Record<InstanceKind, string[]> = { eligible: [], excluded: [], unsupported: [] };
  for (const instance of instances) out[instance.kind].push(...instance.networkInterfaceIds);
  return out;
}
