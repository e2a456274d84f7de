import { startLocalAutotap, type LocalAutotap } from '../../local/environment.ts';
import { routeEvent } from '../../local/eventbridge/router.ts';
import { deleteAsSomeoneElse, sampleEvent } from './sample-events.ts';
import { parseConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';

/**
 * The ENIs of Application and Classic Load Balancers (`mirroring.sources.loadBalancers`), through
 * the packaged rules and the real definitions on the local AWS. ELB creates them as requester-managed
 * ENIs named after the load balancer; when it scales in, it deletes them and EC2 their sessions.
 */

const configWith = (loadBalancers: Record<string, unknown>): Config =>
  parseConfig({
    mirroring: {
      filterId: 'tmf-0f1',
      targets: [{ id: 'tmt-0a1' }],
      packetLength: 4000,
      sources: { loadBalancers },
    },
  });
const config = configWith({ enabled: true, filterId: 'tmf-0e1', packetLength: 128 });

const ALB = 'eni-0e1b000000000001';
const CLB = 'eni-0c1b000000000001';
const elb = (id: string, description: string, extra: Record<string, unknown> = {}) => ({
  id,
  description,
  requesterId: 'amazon-elb',
  availabilityZone: 'us-east-1a',
  vpcId: 'vpc-0a1b2c3d4e5f60001',
  ...extra,
});
const seed = {
  targets: [{ id: 'tmt-0a1', type: 'network-load-balancer' as const }],
  filters: [{ id: 'tmf-0f1' }, { id: 'tmf-0e1' }],
  instances: [{ id: 'i-0a1', availabilityZone: 'us-east-1a', networkInterfaces: [{ id: 'eni-0a1' }] }],
  networkInterfaces: [
    elb(ALB, 'ELB app/web/50dc6c495c0c9188'),
    elb(CLB, 'ELB legacy-web'),
    // Not a source autotap takes: a Network Load Balancer's, and an ENI named like an ALB's by a person.
    elb('eni-0ae7000000000001', 'ELB net/edge/0c1d2e3f4a5b6c7d', { interfaceType: 'network_load_balancer' }),
    { id: 'eni-0f0e000000000001', description: 'ELB app/fake/0123456789abcdef', availabilityZone: 'us-east-1a' },
  ],
};

let local: LocalAutotap;
afterEach(async () => {
  await local?.close();
});

const sessionsOf = (eni: string) => local.emulator.sessions().filter((s) => s.networkInterfaceId === eni);
const managed = (loadBalancer: string) => ({ 'autotap:managed': 'true', 'autotap:load-balancer': loadBalancer });

test("reconcile mirrors each ALB and CLB ENI with the kind's filter and packet length, and only those", async () => {
  local = await startLocalAutotap(seed, config);
  const run = await local.run('reconcile', {});
  expect(run.status).toBe('SUCCEEDED');
  expect(sessionsOf(ALB)).toEqual([
    expect.objectContaining({
      trafficMirrorFilterId: 'tmf-0e1',
      packetLength: 128,
      tags: managed('app/web/50dc6c495c0c9188'),
    }),
  ]);
  expect(sessionsOf(CLB)).toEqual([expect.objectContaining({ tags: managed('legacy-web') })]);
  expect(sessionsOf('eni-0a1')).toEqual([
    expect.objectContaining({ trafficMirrorFilterId: 'tmf-0f1', packetLength: 4000 }),
  ]);
  expect(local.emulator.sessions()).toHaveLength(3);
  const again = await local.run('reconcile', {});
  expect(again.output).toMatchObject({ actions: [] });
});

test('a load balancer ENI of type load_balancer is skipped for its type, never attempted', async () => {
  local = await startLocalAutotap(
    { ...seed, networkInterfaces: [elb(ALB, 'ELB app/web/50dc6c495c0c9188', { interfaceType: 'load_balancer' })] },
    config,
  );
  await local.run('reconcile', {});
  expect(sessionsOf(ALB)).toEqual([]);
  expect(local.emulator.calls().CreateTrafficMirrorSession).toBe(1);
});

test('the ENI a load balancer creates is mirrored at once, once, however the trigger races reconcile', async () => {
  local = await startLocalAutotap({ ...seed, networkInterfaces: [elb(ALB, 'ELB app/web/50dc6c495c0c9188')] }, config);
  const created = sampleEvent('cloudtrail-create-load-balancer-interface.json');
  const deliveries = routeEvent(created, 'dev', config);
  expect(deliveries.map((d) => d.rule)).toEqual(['autotap-dev-load-balancer-interface-created']);
  const runs = await Promise.all([
    ...deliveries.map((d) => local.run(d.stateMachine, d.input)),
    local.run(deliveries[0]!.stateMachine, deliveries[0]!.input),
    local.run('reconcile', {}),
  ]);
  expect(runs.map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
  expect(sessionsOf(ALB)).toHaveLength(1);
  // Said as the load balancer's, in the execution's output and in autotap's own event.
  expect((runs[0].output as { results: unknown[] }).results).toEqual([
    expect.objectContaining({ instanceId: '', networkInterfaceId: ALB, loadBalancer: 'app/web/50dc6c495c0c9188' }),
  ]);
  expect(local.emulator.events().map((e) => e.detail)).toContainEqual(
    expect.objectContaining({ networkInterfaceId: ALB, loadBalancer: 'app/web/50dc6c495c0c9188' }),
  );
  expect(routeEvent(created, 'dev', configWith({ enabled: false }))).toEqual([]);
});

test('scale-in deletes the ENI and EC2 its session; a detach cleanup never touches load balancer sessions', async () => {
  local = await startLocalAutotap(seed, config);
  await local.run('reconcile', {});
  local.emulator.deleteNetworkInterface(CLB);
  expect(sessionsOf(CLB)).toEqual([]);
  const detach = sampleEvent('cloudtrail-detach-network-interface.json');
  const [cleanup] = routeEvent(detach, 'dev', config);
  expect((await local.run(cleanup!.stateMachine, cleanup!.input)).status).toBe('SUCCEEDED');
  expect(sessionsOf(ALB)).toHaveLength(1);
  expect((await local.run('reconcile', {})).output).toMatchObject({ actions: [] });
});

test('with the kind off, reconcile removes autotap sessions on load balancers, and no others', async () => {
  const session = (networkInterfaceId: string, tags: Record<string, string>) => ({
    networkInterfaceId,
    targetId: 'tmt-0a1',
    filterId: 'tmf-0f1',
    sessionNumber: 1,
    tags,
  });
  local = await startLocalAutotap(
    {
      ...seed,
      sessions: [
        session(ALB, managed('app/web/50dc6c495c0c9188')),
        session(CLB, { owner: 'another-tool' }),
        session('eni-0a1', { 'autotap:managed': 'true', 'autotap:instance-id': 'i-0a1' }),
      ],
    },
    configWith({ enabled: false }),
  );
  const off = await local.run('reconcile', {});
  expect(off.status).toBe('SUCCEEDED');
  expect(sessionsOf(ALB)).toEqual([]);
  expect(sessionsOf(CLB)).toHaveLength(1);
  expect(sessionsOf('eni-0a1')).toHaveLength(1);
  expect(JSON.stringify(off.output)).toContain('load-balancers-off');
});

test("someone else's delete of a load balancer's session is restored at once, by a round over the account", async () => {
  local = await startLocalAutotap(
    {
      ...seed,
      sessions: [
        {
          id: 'tms-0e1',
          networkInterfaceId: ALB,
          targetId: 'tmt-0a1',
          filterId: 'tmf-0e1',
          packetLength: 128,
          sessionNumber: 1,
          tags: managed('app/web/50dc6c495c0c9188'),
        },
      ],
    },
    config,
  );
  expect((await deleteAsSomeoneElse(local, 'tms-0e1', config)).status).toBe('SUCCEEDED');
  expect(sessionsOf(ALB)).toEqual([
    expect.objectContaining({ trafficMirrorFilterId: 'tmf-0e1', tags: managed('app/web/50dc6c495c0c9188') }),
  ]);
});
