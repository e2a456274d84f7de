import { startLocalAutotap, type LocalAutotap } from '../../local/environment.ts';
import { routeEvent } from '../../local/eventbridge/router.ts';
import { deleteAsSomeoneElse, sampleEvent } from './sample-events.ts';
import { parseConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';

/**
 * Other services' requester-managed ENIs (`mirroring.sources.requesterManaged`), such as an RDS DB
 * instance's, through the real definitions on the local AWS: the ones whose requester ID the
 * configuration lists are sources of their own; when the service deletes the ENI, EC2 deletes its
 * sessions.
 */

const configWith = (requesterManaged: Record<string, unknown>): Config =>
  parseConfig({
    mirroring: {
      filterId: 'tmf-0f1',
      targets: [{ id: 'tmt-0a1' }],
      packetLength: 4000,
      sources: { requesterManaged, loadBalancers: { enabled: true } },
    },
  });
const config = configWith({ enabled: true, requesterIds: ['amazon-rds'], filterId: 'tmf-0e1', packetLength: 256 });

const RDS = 'eni-0d8b000000000001';
const RDS_STANDBY = 'eni-0d8b000000000002';
const NAT = 'eni-0a7a000000000001';
const service = (id: string, requesterId: string, extra: Record<string, unknown> = {}) => ({
  id,
  description: 'network interface of a managed service',
  requesterId,
  availabilityZone: 'us-east-1a',
  vpcId: 'vpc-0a1b2c3d4e5f60001',
  ...extra,
});
const seed = {
  targets: [{ id: 'tmt-0a1', type: 'network-load-balancer' as const }],
  filters: [{ id: 'tmf-0f1' }, { id: 'tmf-0e1' }],
  instances: [{ id: 'i-0a1', availabilityZone: 'us-east-1a', networkInterfaces: [{ id: 'eni-0a1' }] }],
  networkInterfaces: [
    service(RDS, 'amazon-rds'),
    service(RDS_STANDBY, 'amazon-rds', { availabilityZone: 'us-east-1b' }),
    // A service the configuration does not list, and an ENI a person created with the same description.
    service(NAT, 'amazon-nat', { interfaceType: 'nat_gateway' }),
    {
      id: 'eni-0f0e000000000001',
      description: 'network interface of a managed service',
      availabilityZone: 'us-east-1a',
    },
    // A load balancer's ENI is the load balancer kind's, whatever its requester ID.
    service('eni-0e1b000000000001', 'amazon-rds', { description: 'ELB app/web/50dc6c495c0c9188' }),
  ],
};

let local: LocalAutotap;
afterEach(async () => {
  await local?.close();
});

const sessionsOf = (eni: string) => local.emulator.sessions().filter((s) => s.networkInterfaceId === eni);
const managed = { 'autotap:managed': 'true', 'autotap:requester-id': 'amazon-rds' };

test("reconcile mirrors the listed service's ENIs with the kind's filter and packet length, and no one else's", async () => {
  local = await startLocalAutotap(seed, config);
  const run = await local.run('reconcile', {});
  expect(run.status).toBe('SUCCEEDED');
  for (const eni of [RDS, RDS_STANDBY])
    expect(sessionsOf(eni)).toEqual([
      expect.objectContaining({ trafficMirrorFilterId: 'tmf-0e1', packetLength: 256, tags: managed }),
    ]);
  expect(sessionsOf(NAT)).toEqual([]);
  expect(sessionsOf('eni-0f0e000000000001')).toEqual([]);
  expect(sessionsOf('eni-0e1b000000000001')).toEqual([
    expect.objectContaining({
      tags: { 'autotap:managed': 'true', 'autotap:load-balancer': 'app/web/50dc6c495c0c9188' },
    }),
  ]);
  expect(sessionsOf('eni-0a1')).toEqual([
    expect.objectContaining({ trafficMirrorFilterId: 'tmf-0f1', packetLength: 4000 }),
  ]);
  expect(local.emulator.sessions()).toHaveLength(4);
  expect((await local.run('reconcile', {})).output).toMatchObject({ actions: [] });
});

test("a re-run naming the ENIs mirrors the listed service's at once and skips another's without waiting", async () => {
  local = await startLocalAutotap(seed, config);
  const run = await local.run('mirror-instances', { networkInterfaceIds: [RDS, NAT] });
  expect(run.status).toBe('SUCCEEDED');
  const results = (run.output as { results: Record<string, unknown>[] }).results;
  expect(results).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ instanceId: '', networkInterfaceId: RDS, requester: 'amazon-rds', outcome: 'created' }),
      expect.objectContaining({ networkInterfaceId: NAT, outcome: 'skipped', reason: 'out-of-scope' }),
    ]),
  );
  // One look at the ENIs' standing: nothing was waited for as an ENI about to be attached.
  expect(local.emulator.calls().DescribeNetworkInterfaces).toBe(1);
  expect(local.emulator.events().map((e) => e.detail)).toContainEqual(
    expect.objectContaining({ networkInterfaceId: RDS, requester: 'amazon-rds' }),
  );
});

test('the same ENI asked for twice while reconcile runs gets one session', async () => {
  local = await startLocalAutotap(seed, config);
  const runs = await Promise.all([
    local.run('mirror-instances', { networkInterfaceIds: [RDS] }),
    local.run('mirror-instances', { networkInterfaceIds: [RDS] }),
    local.run('reconcile', {}),
  ]);
  expect(runs.map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
  expect(sessionsOf(RDS)).toHaveLength(1);
});

test("the service deleting its ENI takes the session with it; a detach cleanup never touches the service's", async () => {
  local = await startLocalAutotap(seed, config);
  await local.run('reconcile', {});
  local.emulator.deleteNetworkInterface(RDS_STANDBY);
  expect(sessionsOf(RDS_STANDBY)).toEqual([]);
  const detach = sampleEvent('cloudtrail-detach-network-interface.json');
  const [cleanup] = routeEvent(detach, 'dev', config);
  expect((await local.run(cleanup!.stateMachine, cleanup!.input)).status).toBe('SUCCEEDED');
  expect(sessionsOf(RDS)).toHaveLength(1);
  expect((await local.run('reconcile', {})).output).toMatchObject({ actions: [] });
});

test.each([
  ['its requester ID taken off the list', { enabled: true, requesterIds: ['amazon-elasticache'] }],
  ['the kind turned off', { enabled: false }],
])("with %s, reconcile removes autotap's sessions of the service, and no others", async (_, kind) => {
  const session = (networkInterfaceId: string, tags: Record<string, string>) => ({
    networkInterfaceId,
    targetId: 'tmt-0a1',
    filterId: 'tmf-0e1',
    packetLength: 256,
    sessionNumber: 1,
    tags,
  });
  const sessions = [
    session(RDS, managed),
    session(RDS_STANDBY, { owner: 'another-tool' }),
    session('eni-0a1', { 'autotap:managed': 'true', 'autotap:instance-id': 'i-0a1' }),
  ];
  local = await startLocalAutotap({ ...seed, sessions }, configWith(kind));
  const run = await local.run('reconcile', {});
  expect(run.status).toBe('SUCCEEDED');
  expect(sessionsOf(RDS)).toEqual([]);
  expect(sessionsOf(RDS_STANDBY)).toHaveLength(1);
  expect(sessionsOf('eni-0a1')).toHaveLength(1);
  expect(JSON.stringify(run.output)).toContain('requester-not-listed');
});

test("someone else's delete of a service ENI's session is restored at once, by a round over the account", async () => {
  local = await startLocalAutotap(
    {
      ...seed,
      sessions: [
        {
          id: 'tms-0d1',
          networkInterfaceId: RDS,
          targetId: 'tmt-0a1',
          filterId: 'tmf-0e1',
          packetLength: 256,
          sessionNumber: 1,
          tags: managed,
        },
      ],
    },
    config,
  );
  expect((await deleteAsSomeoneElse(local, 'tms-0d1', config)).status).toBe('SUCCEEDED');
  expect(sessionsOf(RDS)).toEqual([expect.objectContaining({ trafficMirrorFilterId: 'tmf-0e1', tags: managed })]);
});
