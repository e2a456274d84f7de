import { parseConfig } from '../../src/config/load.ts';
import {
  checkDeployed,
  checkFilter,
  checkOverrideFilters,
  checkInstanceTypes,
  checkLambdaConcurrency,
  checkOpsSubscriptions,
  checkSecrets,
  checkSessionQuota,
  checkTargetPaths,
  checkTargets,
  checkTrail,
  checkZones,
  diagnose,
  failed,
} from '../../src/doctor/checks.ts';
import { known, type AccountFacts, type TrailFacts } from '../../src/doctor/facts.ts';
import { MANAGED_TAG } from '../../src/mirroring/types.ts';
import { instance, session } from '../mirroring/fixtures.ts';

/** Each misconfiguration doctor knows, judged from plain facts. */

const FILTER = 'tmf-0123456789abcdef0';
const NLB = 'tmt-0000000000000000a';
const ENI_TARGET = 'tmt-0000000000000000b';
const NLB_ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/sensor/0123456789abcdef';
const APPLIANCE_SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:autotap/appliance-AbCdEf';

function config(overrides: Record<string, unknown> = {}, rest: Record<string, unknown> = {}) {
  return parseConfig({
    mirroring: { filterId: FILTER, targets: [{ id: NLB }, { id: ENI_TARGET }], ...overrides },
    notifications: { opsEmails: ['ops@example.com'] },
    ...rest,
  });
}

const healthyTrail: TrailFacts = {
  name: 'management',
  homeRegion: 'us-east-1',
  multiRegion: true,
  logging: true,
  eventSelectors: [{ includeManagementEvents: true, readWriteType: 'All', excludeManagementEventSources: [] }],
  advancedEventSelectors: [],
};

/** An account where every check passes. */
function healthy(): AccountFacts {
  return {
    region: 'us-east-1',
    stage: 'prod',
    overrideFilters: new Map(),
    filter: known({
      trafficMirrorFilterId: FILTER,
      rules: [
        { direction: 'ingress', action: 'accept', ruleNumber: 100 },
        { direction: 'egress', action: 'accept', ruleNumber: 100 },
      ],
    }),
    targets: known([
      { trafficMirrorTargetId: NLB, kind: 'network-load-balancer', networkLoadBalancerArn: NLB_ARN, tags: {} },
      { trafficMirrorTargetId: ENI_TARGET, kind: 'network-interface', networkInterfaceId: 'eni-sensor', tags: {} },
    ]),
    targetInterfaces: known([
      { networkInterfaceId: 'eni-sensor', availabilityZone: 'us-east-1b', securityGroupIds: ['sg-sensor'] },
    ]),
    securityGroups: known([
      {
        groupId: 'sg-sensor',
        inbound: [{ protocol: 'udp', fromPort: 4789, toPort: 4789, cidrs: ['10.0.0.0/16'], groupIds: [] }],
      },
    ]),
    loadBalancers: known([
      {
        arn: NLB_ARN,
        type: 'network',
        availabilityZones: ['us-east-1a'],
        listeners: [{ protocol: 'UDP', port: 4789 }],
      },
    ]),
    vpcs: known([{ vpcId: 'vpc-0a1', cidrs: ['10.0.0.0/16'] }]),
    instances: known([instance()]),
    sessions: known([]),
    trails: known([healthyTrail]),
    stateMachines: known(['autotap-prod-mirror-instances', 'autotap-prod-cleanup-sessions', 'autotap-prod-reconcile']),
    opsSubscriptions: known([{ protocol: 'email', endpoint: 'ops@example.com', pendingConfirmation: false }]),
    secrets: known([]),
    lambdaConcurrency: known({ concurrentExecutions: 1000, unreserved: 1000, reservedByStage: 0 }),
  };
}

test('a healthy account passes every check', () => {
  const results = diagnose(config(), healthy());
  expect(results.filter((r) => r.verdict !== 'ok' && r.verdict !== 'skip')).toEqual([]);
  expect(failed(results)).toBe(false);
});

describe('filter', () => {
  test('missing', () => {
    const r = checkFilter(config(), known(undefined));
    expect(r).toMatchObject({ verdict: 'fail', subject: FILTER });
    expect(r.detail).toContain('does not exist');
    expect(r.fix).toContain('mirroring.filterId');
  });

  test('without rules mirrors nothing', () => {
    const r = checkFilter(config(), known({ trafficMirrorFilterId: FILTER, rules: [] }));
    expect(r.verdict).toBe('fail');
    expect(r.detail).toContain('no rules');
  });

  test('with reject rules only mirrors nothing either', () => {
    const r = checkFilter(
      config(),
      known({ trafficMirrorFilterId: FILTER, rules: [{ direction: 'ingress', action: 'reject', ruleNumber: 1 }] }),
    );
    expect(r.verdict).toBe('fail');
    expect(r.detail).toContain('only reject rules');
  });

  test('one direction only is a warning', () => {
    const r = checkFilter(
      config(),
      known({ trafficMirrorFilterId: FILTER, rules: [{ direction: 'ingress', action: 'accept', ruleNumber: 1 }] }),
    );
    expect(r.verdict).toBe('warn');
    expect(r.detail).toContain('inbound traffic only');
  });

  test('a filter the stack creates (no filterId) is checked after deploy, by its id', () => {
    const created = config();
    delete (created.mirroring as { filterId?: string }).filterId;
    expect(checkFilter(created, known(undefined))).toMatchObject({
      verdict: 'skip',
      detail: expect.stringContaining('TrafficMirrorFilterId'),
    });
  });

  test('access denied names the missing action instead of failing', () => {
    const r = checkFilter(config(), {
      read: false,
      reason: 'not authorized',
      action: 'ec2:DescribeTrafficMirrorFilters',
    });
    expect(r.verdict).toBe('warn');
    expect(r.fix).toContain('ec2:DescribeTrafficMirrorFilters');
  });
});

describe('override filters', () => {
  const WEB = 'tmf-0000000000000d001';
  const withOverrides = config({
    overrides: [
      { name: 'web', tags: { tier: 'web' }, filterId: WEB },
      { name: 'pci', tags: { pci: 'yes' }, filterId: WEB },
      { name: 'same', tags: { x: '1' }, filterId: FILTER },
      { name: 'short', tags: { y: '1' }, packetLength: 64 },
    ],
  });
  const accepting = known({
    trafficMirrorFilterId: WEB,
    rules: [
      { direction: 'ingress' as const, action: 'accept' as const, ruleNumber: 1 },
      { direction: 'egress' as const, action: 'accept' as const, ruleNumber: 1 },
    ],
  });

  test("each override's own filter is judged once, under its own check", () => {
    const results = checkOverrideFilters(withOverrides, new Map([[WEB, accepting]]));
    expect(results).toEqual([expect.objectContaining({ check: 'override-filter', subject: WEB, verdict: 'ok' })]);
  });

  test('a missing one fails and names the override that uses it', () => {
    const [r] = checkOverrideFilters(withOverrides, new Map([[WEB, known(undefined)]]));
    expect(r).toMatchObject({ check: 'override-filter', verdict: 'fail', subject: WEB });
    expect(r?.fix).toContain('mirroring.overrides[0].filterId (web)');
  });

  test("the load balancer kind's filter is judged the same way, and a missing one names its field", () => {
    const LB = 'tmf-0000000000000e001';
    const withKind = config({ sources: { loadBalancers: { enabled: true, filterId: LB } } });
    const [r] = checkOverrideFilters(withKind, new Map([[LB, known(undefined)]]));
    expect(r).toMatchObject({ check: 'override-filter', verdict: 'fail', subject: LB });
    expect(r?.fix).toContain('mirroring.sources.loadBalancers.filterId');
  });

  test('diagnose runs it beside the section filter', () => {
    const facts = healthy();
    facts.overrideFilters = new Map([[WEB, known(undefined)]]);
    expect(diagnose(withOverrides, facts).map((r) => r.check)).toEqual(
      expect.arrayContaining(['filter', 'override-filter']),
    );
    expect(failed(diagnose(withOverrides, facts))).toBe(true);
  });
});

describe('targets', () => {
  test('a missing target fails, the others are described by kind and zone', () => {
    const facts = healthy();
    facts.targets = known([
      { trafficMirrorTargetId: NLB, kind: 'network-load-balancer', networkLoadBalancerArn: NLB_ARN, tags: {} },
    ]);
    const results = checkTargets(config(), facts);
    expect(results).toEqual([
      { check: 'target', subject: NLB, verdict: 'ok', detail: 'Network Load Balancer in us-east-1a' },
      expect.objectContaining({ subject: ENI_TARGET, verdict: 'fail' }),
    ]);
  });

  test('an ENI target in another zone than configured is a warning', () => {
    const results = checkTargets(config({ targets: [{ id: ENI_TARGET, availabilityZone: 'us-east-1a' }] }), healthy());
    expect(results[0]).toMatchObject({ verdict: 'warn', detail: 'ENI in us-east-1b, configured as us-east-1a' });
  });

  test('a target tag nothing carries fails when no target is listed', () => {
    const results = checkTargets(config({ targets: [], targetTag: { key: 'sensor', value: 'yes' } }), healthy());
    expect(results).toEqual([
      expect.objectContaining({ verdict: 'fail', detail: 'no traffic mirror target carries the tag sensor=yes' }),
    ]);
  });
});

describe('zones', () => {
  test('an in-scope zone without a target is a warning (prefer-same) and a failure (same-only)', () => {
    const facts = healthy();
    facts.instances = known([instance({ availabilityZone: 'us-east-1c' })]);
    expect(checkZones(config(), facts)).toMatchObject({
      verdict: 'warn',
      detail: expect.stringContaining('no target in us-east-1c'),
    });
    expect(checkZones(config({ crossAz: 'same-only' }), facts).verdict).toBe('fail');
  });

  test('an ENI target whose ENI is gone serves no zone', () => {
    const facts = healthy();
    facts.instances = known([instance({ availabilityZone: 'us-east-1b' })]);
    facts.targetInterfaces = known([]);
    expect(checkZones(config(), facts)).toMatchObject({
      verdict: 'warn',
      detail: expect.stringContaining('no target in us-east-1b'),
    });
  });

  test('zones with a target are fine', () => {
    expect(checkZones(config(), healthy()).verdict).toBe('ok');
  });
});

describe('UDP 4789 to the targets', () => {
  test('an ENI target whose groups do not allow UDP 4789 fails', () => {
    const facts = healthy();
    facts.securityGroups = known([
      {
        groupId: 'sg-sensor',
        inbound: [{ protocol: 'tcp', fromPort: 0, toPort: 65535, cidrs: ['10.0.0.0/8'], groupIds: [] }],
      },
    ]);
    const results = checkTargetPaths(config(), facts);
    expect(results.find((r) => r.subject === ENI_TARGET)).toMatchObject({
      verdict: 'fail',
      fix: expect.stringContaining('UDP 4789'),
    });
  });

  test("a rule that does not cover the sources' VPC blocks fails, naming the block to allow", () => {
    const facts = healthy();
    facts.securityGroups = known([
      {
        groupId: 'sg-sensor',
        inbound: [{ protocol: 'udp', fromPort: 4789, toPort: 4789, cidrs: ['10.0.1.0/24'], groupIds: [] }],
      },
    ]);
    expect(checkTargetPaths(config(), facts).find((r) => r.subject === ENI_TARGET)).toMatchObject({
      verdict: 'fail',
      detail: 'UDP 4789 is allowed only from 10.0.1.0/24: mirrored packets from 10.0.0.0/16 (vpc-0a1) are dropped',
      fix: 'allow inbound UDP 4789 from 10.0.0.0/16 in sg-sensor',
    });
    facts.securityGroups = known([
      {
        groupId: 'sg-sensor',
        inbound: [{ protocol: 'udp', fromPort: 4789, toPort: 4789, cidrs: ['10.0.0.0/8'], groupIds: [] }],
      },
    ]);
    expect(checkTargetPaths(config(), facts).find((r) => r.subject === ENI_TARGET)?.verdict).toBe('ok');
  });

  test('a rule naming a security group may let the sources in: a warning', () => {
    const facts = healthy();
    facts.securityGroups = known([
      {
        groupId: 'sg-sensor',
        inbound: [{ protocol: 'udp', fromPort: 4789, toPort: 4789, cidrs: [], groupIds: ['sg-sources'] }],
      },
    ]);
    expect(checkTargetPaths(config(), facts).find((r) => r.subject === ENI_TARGET)).toMatchObject({
      verdict: 'warn',
      detail: expect.stringContaining('only if they are in sg-sources'),
    });
  });

  test('a UDP range around 4789 or every protocol allows it', () => {
    const facts = healthy();
    facts.securityGroups = known([
      {
        groupId: 'sg-sensor',
        inbound: [{ protocol: 'udp', fromPort: 4000, toPort: 5000, cidrs: ['10.0.0.0/16'], groupIds: [] }],
      },
    ]);
    expect(checkTargetPaths(config(), facts).find((r) => r.subject === ENI_TARGET)?.verdict).toBe('ok');
    facts.securityGroups = known([
      { groupId: 'sg-sensor', inbound: [{ protocol: '-1', cidrs: ['0.0.0.0/0'], groupIds: [] }] },
    ]);
    expect(checkTargetPaths(config(), facts).find((r) => r.subject === ENI_TARGET)?.verdict).toBe('ok');
  });

  test('an NLB without a UDP listener on 4789 fails; TCP_UDP passes', () => {
    const facts = healthy();
    facts.loadBalancers = known([
      {
        arn: NLB_ARN,
        type: 'network',
        availabilityZones: ['us-east-1a'],
        listeners: [{ protocol: 'TCP', port: 4789 }],
      },
    ]);
    expect(checkTargetPaths(config(), facts).find((r) => r.subject === NLB)).toMatchObject({ verdict: 'fail' });
    facts.loadBalancers = known([
      {
        arn: NLB_ARN,
        type: 'network',
        availabilityZones: ['us-east-1a'],
        listeners: [{ protocol: 'TCP_UDP', port: 4789 }],
      },
    ]);
    expect(checkTargetPaths(config(), facts).find((r) => r.subject === NLB)?.verdict).toBe('ok');
  });
});

describe('CloudTrail', () => {
  const withTrails = (trails: TrailFacts[]) => ({ region: 'us-east-1', trails: known(trails) });

  test('no trail fails', () => {
    expect(checkTrail(withTrails([])).verdict).toBe('fail');
  });

  test('a single-region trail elsewhere does not count', () => {
    expect(checkTrail(withTrails([{ ...healthyTrail, multiRegion: false, homeRegion: 'eu-west-1' }])).verdict).toBe(
      'fail',
    );
  });

  test('a trail that stopped logging fails', () => {
    expect(checkTrail(withTrails([{ ...healthyTrail, logging: false }]))).toMatchObject({
      verdict: 'fail',
      detail: 'trail management is not logging',
    });
  });

  test('read-only or EC2-excluding selectors do not deliver the attach calls', () => {
    expect(
      checkTrail(
        withTrails([
          {
            ...healthyTrail,
            eventSelectors: [
              { includeManagementEvents: true, readWriteType: 'ReadOnly', excludeManagementEventSources: [] },
            ],
          },
        ]),
      ).verdict,
    ).toBe('fail');
    expect(
      checkTrail(
        withTrails([
          {
            ...healthyTrail,
            eventSelectors: [
              { includeManagementEvents: false, readWriteType: 'All', excludeManagementEventSources: [] },
            ],
          },
        ]),
      ).verdict,
    ).toBe('fail');
    expect(
      checkTrail(
        withTrails([
          {
            ...healthyTrail,
            eventSelectors: [
              {
                includeManagementEvents: true,
                readWriteType: 'WriteOnly',
                excludeManagementEventSources: ['ec2.amazonaws.com'],
              },
            ],
          },
        ]),
      ).verdict,
    ).toBe('fail');
  });

  test('advanced selectors of management write events pass', () => {
    const advanced = (fields: TrailFacts['advancedEventSelectors'][number]) =>
      withTrails([{ ...healthyTrail, eventSelectors: [], advancedEventSelectors: [fields] }]);
    expect(checkTrail(advanced([{ field: 'eventCategory', equals: ['Management'] }])).verdict).toBe('ok');
    expect(
      checkTrail(
        advanced([
          { field: 'eventCategory', equals: ['Management'] },
          { field: 'readOnly', equals: ['true'] },
        ]),
      ).verdict,
    ).toBe('fail');
    expect(checkTrail(advanced([{ field: 'eventCategory', equals: ['Data'] }])).verdict).toBe('fail');
  });
});

describe('secrets', () => {
  const detections = {
    detections: { appliance: { url: 'https://extrahop.example.com', secretArn: APPLIANCE_SECRET } },
  };

  test('a configured secret that does not exist fails', () => {
    const results = checkSecrets(config({}, detections), {
      ...healthy(),
      secrets: known([{ arn: APPLIANCE_SECRET, exists: false }]),
    });
    expect(results).toEqual([expect.objectContaining({ check: 'secret', verdict: 'fail', subject: APPLIANCE_SECRET })]);
  });

  test('before deploy the function access is skipped with the reason; after, a denied read fails', () => {
    const before = checkSecrets(config({}, detections), {
      ...healthy(),
      stateMachines: known([]),
      secrets: known([{ arn: APPLIANCE_SECRET, exists: true }]),
    });
    expect(before.map((r) => r.verdict)).toEqual(['ok', 'skip']);
    expect(before[1]?.detail).toBe(
      'whether autotap-prod-detectionsPoll may read it is not checked: the stack is not deployed',
    );
    const denied = checkSecrets(config({}, detections), {
      ...healthy(),
      secrets: known([{ arn: APPLIANCE_SECRET, exists: true, readableByFunction: known(false) }]),
    });
    expect(denied.map((r) => r.verdict)).toEqual(['ok', 'fail']);
  });

  test('without detections there is nothing to check', () => {
    expect(checkSecrets(config(), { ...healthy(), secrets: known([]) })).toEqual([
      expect.objectContaining({ verdict: 'skip' }),
    ]);
  });
});

describe('ops subscriptions', () => {
  test('an unconfirmed address is a warning naming it', () => {
    const r = checkOpsSubscriptions(config(), {
      stage: 'prod',
      opsSubscriptions: known([{ protocol: 'email', endpoint: 'ops@example.com', pendingConfirmation: true }]),
    });
    expect(r).toMatchObject({ verdict: 'warn', detail: expect.stringContaining('ops@example.com') });
  });

  test('an address without a subscription fails; no address at all warns', () => {
    expect(checkOpsSubscriptions(config(), { stage: 'prod', opsSubscriptions: known([]) }).verdict).toBe('fail');
    expect(
      checkOpsSubscriptions(config({}, { notifications: { opsEmails: [] } }), {
        stage: 'prod',
        opsSubscriptions: known([]),
      }).verdict,
    ).toBe('warn');
  });

  test('before deploy it is skipped', () => {
    expect(checkOpsSubscriptions(config(), { stage: 'prod', opsSubscriptions: known(undefined) }).verdict).toBe('skip');
  });
});

test('in-scope instances of unsupported types are named by type', () => {
  const r = checkInstanceTypes(config(), {
    instances: known([
      instance(),
      instance({ instanceId: 'i-2', instanceType: 't2.micro' }),
      instance({ instanceId: 'i-3', instanceType: 'm5.metal' }),
    ]),
  });
  expect(r).toMatchObject({
    verdict: 'warn',
    detail: expect.stringContaining(
      '2 in-scope instances of a type Traffic Mirroring does not support (m5.metal, t2.micro)',
    ),
  });
});

test('with the fleet counted per reason, and the warning when most of the in-scope fleet is of unsupported types', () => {
  const some = checkInstanceTypes(config(), {
    instances: known([instance(), instance({ instanceId: 'i-2', instanceType: 'm6i.large' })]),
  });
  expect(some.detail).toContain('(running: 2 instances, 2 ENIs, 1 eligible; skipped: unsupported 1 instance / 1 ENIs)');
  expect(some.detail).not.toContain('most of the in-scope fleet');
  const most = checkInstanceTypes(config(), {
    instances: known([
      instance(),
      instance({ instanceId: 'i-2', instanceType: 'm6i.large' }),
      instance({ instanceId: 'i-3', instanceType: 'c7g.large' }),
    ]),
  });
  expect(most).toMatchObject({ verdict: 'warn' });
  expect(most.detail).toMatch(
    /^most of the in-scope fleet is of instance types Traffic Mirroring does not support: 2 of 3/,
  );
});

test('out-of-scope unsupported instances do not count', () => {
  const r = checkInstanceTypes(config(), {
    instances: known([instance({ instanceType: 't2.micro', tags: { 'autotap:mirror': 'false' } })]),
  });
  expect(r.verdict).toBe('ok');
});

describe('session quota', () => {
  const facts = (sessions: number, instances: number) => ({
    sessions: known(
      Array.from({ length: sessions }, (_, i) => session({ networkInterfaceId: `eni-other${i}`, tags: {} })),
    ),
    instances: known(
      Array.from({ length: instances }, (_, i) =>
        instance({
          instanceId: `i-${i}`,
          networkInterfaces: [{ networkInterfaceId: `eni-${i}`, interfaceType: 'interface', deviceIndex: 0 }],
        }),
      ),
    ),
    targets: known([]),
  });

  test('headroom below a tenth of the quota warns, beyond the quota fails', () => {
    expect(checkSessionQuota(config(), facts(10, 10), 100).verdict).toBe('ok');
    expect(checkSessionQuota(config(), facts(85, 10), 100)).toMatchObject({
      verdict: 'warn',
      detail: expect.stringContaining('5 left'),
    });
    expect(checkSessionQuota(config(), facts(95, 10), 100)).toMatchObject({
      verdict: 'fail',
      detail: expect.stringContaining('5 over the quota'),
    });
  });

  test('ENIs autotap already mirrors are not counted twice', () => {
    const f = facts(0, 1);
    f.sessions = known([session({ networkInterfaceId: 'eni-0', tags: { [MANAGED_TAG]: 'true' } })]);
    expect(checkSessionQuota(config(), f, 100).detail).toContain('1 sessions in the account, 0 more for the scope');
  });
});

describe('Lambda concurrency', () => {
  const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:autotap/webhook-AbCdEf';
  const reserving = (reservedConcurrency: number, quotas?: Record<string, number>) =>
    config(
      {},
      {
        detections: { webhook: { enabled: true, secretArn: SECRET, reservedConcurrency } },
        ...(quotas ? { quotas } : {}),
      },
    );
  const account = (concurrentExecutions: number, unreserved: number, reservedByStage = 0) => ({
    lambdaConcurrency: known({ concurrentExecutions, unreserved, reservedByStage }),
  });

  test('fits what other functions left: ok', () => {
    expect(checkLambdaConcurrency(reserving(100), account(1000, 700))).toMatchObject({
      verdict: 'ok',
      detail: 'the stage reserves 100 and the account has 1000 concurrent executions, 700 unreserved',
    });
  });

  test('one more than other functions left: fail, with how much to lower it', () => {
    const r = checkLambdaConcurrency(reserving(601), account(1000, 700));
    expect(r.verdict).toBe('fail');
    expect(r.detail).toContain('at most 600 fit');
    expect(r.fix).toContain('lower detections.webhook.reservedConcurrency by 1');
  });

  test("the stage's own reservation as deployed counts as room for the new one", () => {
    expect(checkLambdaConcurrency(reserving(300), account(1000, 350, 50)).verdict).toBe('ok');
    expect(checkLambdaConcurrency(reserving(301), account(1000, 350, 50)).verdict).toBe('fail');
  });

  test('a configured quota above the account: warn; below it: ok, saying what it could be', () => {
    expect(
      checkLambdaConcurrency(reserving(10, { lambdaConcurrentExecutions: 2000 }), account(1000, 1000)),
    ).toMatchObject({
      verdict: 'warn',
      fix: 'set quotas.lambdaConcurrentExecutions: 1000',
    });
    expect(checkLambdaConcurrency(reserving(10), account(3000, 3000)).detail).toContain(
      'quotas.lambdaConcurrentExecutions could be 3000',
    );
  });

  test('unreadable: warn naming the permission', () => {
    const r = checkLambdaConcurrency(reserving(10), {
      lambdaConcurrency: { read: false, reason: 'not authorized', action: 'lambda:GetAccountSettings' },
    });
    expect(r).toMatchObject({ verdict: 'warn', fix: 'allow lambda:GetAccountSettings to the identity running doctor' });
  });
});

test('deployed: all, none (skip) or some (fail) of the state machines', () => {
  expect(checkDeployed(healthy()).verdict).toBe('ok');
  expect(checkDeployed({ stage: 'prod', stateMachines: known([]) }).verdict).toBe('skip');
  expect(checkDeployed({ stage: 'prod', stateMachines: known(['autotap-prod-reconcile']) })).toMatchObject({
    verdict: 'fail',
    detail: expect.stringContaining('autotap-prod-mirror-instances'),
  });
});
