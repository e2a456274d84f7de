import { DEFAULT_SESSION_HOURLY_PRICE_USD, planCost } from '../../src/mirroring/cost.ts';
import type { ReconcileAction } from '../../src/mirroring/reconcile.ts';
import type { AccountSnapshot } from '../../src/mirroring/reconcile-round.ts';
import { MANAGED_TAG } from '../../src/mirroring/types.ts';
import { instance, mirroringWith, session, target } from './fixtures.ts';

/** planCost: what `autotap plan` says a plan costs, from the actions and the described account. */

const NLB_A = 'tmt-aaaaaaaaaaaaaaaa1';
const ENI_TARGET_B = 'tmt-bbbbbbbbbbbbbbbb1';
const NLB_ANY_ZONE = 'tmt-ccccccccccccccc01';

const config = (extra: Record<string, unknown> = {}) =>
  mirroringWith({
    targets: [{ id: NLB_A, availabilityZone: 'us-east-1a' }, { id: ENI_TARGET_B }, { id: NLB_ANY_ZONE }],
    ...extra,
  });

const snapshot: AccountSnapshot = {
  instances: [
    instance({
      instanceId: 'i-1',
      availabilityZone: 'us-east-1a',
      vpcId: 'vpc-0a1',
      networkInterfaces: [
        { networkInterfaceId: 'eni-1', interfaceType: 'interface', deviceIndex: 0 },
        { networkInterfaceId: 'eni-2', interfaceType: 'interface', deviceIndex: 1 },
      ],
    }),
    instance({
      instanceId: 'i-3',
      availabilityZone: 'us-east-1b',
      vpcId: 'vpc-0a1',
      networkInterfaces: [{ networkInterfaceId: 'eni-3', interfaceType: 'interface', deviceIndex: 0 }],
    }),
    // The ENI's own VPC wins over the instance's (an ENI of another VPC attached as device 1).
    instance({
      instanceId: 'i-4',
      availabilityZone: 'us-east-1b',
      vpcId: 'vpc-0a1',
      networkInterfaces: [
        { networkInterfaceId: 'eni-4', interfaceType: 'interface', deviceIndex: 0, vpcId: 'vpc-0b2' },
      ],
    }),
  ],
  sessions: [
    session({ networkInterfaceId: 'eni-9', tags: { [MANAGED_TAG]: 'true' } }),
    session({ networkInterfaceId: 'eni-8', tags: { [MANAGED_TAG]: 'true' } }),
    // Someone else's session: not autotap's to count.
    session({ networkInterfaceId: 'eni-3', tags: {} }),
  ],
  targets: [
    target({ trafficMirrorTargetId: NLB_A }),
    target({ trafficMirrorTargetId: ENI_TARGET_B, kind: 'network-interface', availabilityZone: 'us-east-1b' }),
    target({ trafficMirrorTargetId: NLB_ANY_ZONE }),
  ],
};

const create = (networkInterfaceId: string, trafficMirrorTargetId: string): ReconcileAction => ({
  action: 'create',
  instanceId: 'i-x',
  networkInterfaceId,
  trafficMirrorTargetId,
  reason: 'not-mirrored',
});

const actions: ReconcileAction[] = [
  create('eni-1', NLB_A), // 1a -> 1a
  create('eni-2', ENI_TARGET_B), // 1a -> 1b: cross-zone
  create('eni-3', NLB_A), // 1b -> 1a: cross-zone
  create('eni-4', NLB_ANY_ZONE), // zone of the target unknown
  { action: 'skip', instanceId: 'i-5', networkInterfaceId: 'eni-5', reason: 'unsupported' },
  {
    action: 'delete',
    instanceId: 'i-9',
    networkInterfaceId: 'eni-9',
    reason: 'instance-terminated',
    trafficMirrorSessionId: 'tms-1',
  },
];

test('counts the sessions to create per VPC and zone of their ENI, and those whose target is in another zone', () => {
  const cost = planCost(actions, snapshot, config());
  expect(
    cost.byZone.map(({ vpcId, availabilityZone, create, crossZone }) => [vpcId, availabilityZone, create, crossZone]),
  ).toEqual([
    ['vpc-0a1', 'us-east-1a', 2, 1],
    ['vpc-0a1', 'us-east-1b', 1, 1],
    ['vpc-0b2', 'us-east-1b', 1, 0],
  ]);
  expect([cost.create, cost.delete, cost.crossZone, cost.unknownZone]).toEqual([4, 1, 2, 1]);
});

test('prices at the configured per-session-hour price, per hour and per 730-hour month', () => {
  const cost = planCost(actions, snapshot, config({ sessionHourlyPriceUsd: 0.02 }));
  expect(cost.sessionHourlyPriceUsd).toBe(0.02);
  expect([cost.addedHourlyUsd, cost.addedMonthlyUsd]).toEqual([0.08, 58.4]);
  expect(cost.byZone[0]).toMatchObject({ hourlyUsd: 0.04, monthlyUsd: 29.2 });
  // Two of autotap's sessions exist, one is deleted, four are created.
  expect([cost.sessionsAfter, cost.hourlyUsdAfter, cost.monthlyUsdAfter]).toEqual([5, 0.1, 73]);
});

test('without a configured price, the published default is used', () => {
  expect(DEFAULT_SESSION_HOURLY_PRICE_USD).toBe(0.015);
  const cost = planCost([create('eni-1', NLB_A)], snapshot, config());
  expect([cost.sessionHourlyPriceUsd, cost.addedHourlyUsd, cost.addedMonthlyUsd]).toEqual([0.015, 0.015, 10.95]);
});

test('a plan that creates nothing costs nothing more', () => {
  const cost = planCost([], snapshot, config());
  expect([cost.create, cost.addedHourlyUsd, cost.byZone]).toEqual([0, 0, []]);
  expect(cost.sessionsAfter).toBe(2);
});

test('the price in the configuration is checked', () => {
  expect(() => config({ sessionHourlyPriceUsd: -1 })).toThrow(/sessionHourlyPriceUsd/);
  expect(() => config({ sessionHourlyPriceUsd: '0.015' })).toThrow(/sessionHourlyPriceUsd/);
});
