import { parseConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import * as ec2 from '../../src/aws/ec2.ts';
import { FOUND_REASON } from '../../src/mirroring/registry.ts';
import type { EmulatorSeed } from '../../local/emulator/index.ts';
import { startLocalAutotap, type LocalAutotap, type LocalAutotapOptions } from '../../local/environment.ts';
import { routeEvent } from '../../local/eventbridge/router.ts';
import { sessionCallEvent } from './sample-events.ts';

/**
 * Someone else deletes or modifies a session autotap manages: the CloudTrail event goes through the
 * packaged rule to the real reconcile definition with the real handlers, on the emulator and dynalite.
 */

const configWith = (mirroring: Record<string, unknown> = {}): Config =>
  parseConfig({ mirroring: { filterId: 'tmf-0f1', targets: [{ id: 'tmt-0a1' }, { id: 'tmt-0a2' }], ...mirroring } });

const managed = (instanceId: string) => ({ 'autotap:managed': 'true', 'autotap:instance-id': instanceId });

const seed = (): EmulatorSeed => ({
  targets: [
    { id: 'tmt-0a1', type: 'network-load-balancer' },
    { id: 'tmt-0a2', type: 'network-load-balancer' },
    { id: 'tmt-0f9', type: 'network-load-balancer' },
  ],
  filters: [{ id: 'tmf-0f1' }, { id: 'tmf-0f9' }],
  instances: [
    { id: 'i-0a1', availabilityZone: 'us-east-1a', networkInterfaces: [{ id: 'eni-0a1' }] },
    { id: 'i-0b1', availabilityZone: 'us-east-1a', state: 'stopped', networkInterfaces: [{ id: 'eni-0b1' }] },
    { id: 'i-0c1', availabilityZone: 'us-east-1a', networkInterfaces: [{ id: 'eni-0c1' }] },
  ],
  sessions: [
    {
      id: 'tms-0a1',
      networkInterfaceId: 'eni-0a1',
      targetId: 'tmt-0a1',
      filterId: 'tmf-0f1',
      sessionNumber: 1,
      tags: managed('i-0a1'),
    },
    {
      id: 'tms-0b1',
      networkInterfaceId: 'eni-0b1',
      targetId: 'tmt-0a1',
      filterId: 'tmf-0f1',
      sessionNumber: 1,
      tags: managed('i-0b1'),
    },
    // Another tool's session: never touched, whoever changes it.
    { id: 'tms-0f9', networkInterfaceId: 'eni-0c1', targetId: 'tmt-0f9', filterId: 'tmf-0f9', sessionNumber: 2 },
  ],
});

let local: LocalAutotap;
afterEach(async () => {
  await local?.close();
});

async function start(config: Config = configWith(), options: LocalAutotapOptions = {}) {
  local = await startLocalAutotap(seed(), config, options);
}

/** The event delivered as the stack's rules deliver it: one execution per matching rule. */
async function deliver(event: Record<string, unknown>, config: Config = configWith()) {
  const deliveries = routeEvent(event, 'dev', config);
  expect(deliveries.map((d) => d.rule)).toEqual(['autotap-dev-session-tampered']);
  return local.run(deliveries[0]!.stateMachine, deliveries[0]!.input);
}

const sessionsOf = (eni: string) => local.emulator.sessions().filter((s) => s.networkInterfaceId === eni);
const opsMessages = () => local.emulator.published().filter((m) => m.topicArn === local.opsTopicArn);

describe('a session someone else deleted', () => {
  test.each(['wrapped', 'flat'] as const)(
    'is restored at once and ops is told who, when and from where (request parameters %s)',
    async (shape) => {
      await start();
      await ec2.deleteSession('tms-0a1');
      const run = await deliver(sessionCallEvent('DeleteTrafficMirrorSession', 'tms-0a1', {}, shape));
      expect(run.status).toBe('SUCCEEDED');
      const [restored, ...more] = sessionsOf('eni-0a1');
      expect(more).toEqual([]);
      expect(restored).toMatchObject({ trafficMirrorFilterId: 'tmf-0f1', tags: managed('i-0a1') });
      // The registry follows: the new session is known, the deleted one forgotten.
      expect(await local.registry.lookup('tms-0a1')).toBeUndefined();
      expect(await local.registry.lookup(restored!.trafficMirrorSessionId)).toMatchObject({
        instanceId: 'i-0a1',
        networkInterfaceId: 'eni-0a1',
        workflow: 'reconcile',
        reason: 'not-mirrored',
      });
      const [report, ...others] = opsMessages();
      expect(others).toEqual([]);
      expect(report?.subject).toBe(
        '[autotap] session tms-0a1 deleted by arn:aws:sts::123456789012:assumed-role/Ops/ops-session',
      );
      expect(report?.message).toContain(
        'Session tms-0a1 (eni-0a1 of i-0a1, target tmt-0a1) was deleted by arn:aws:sts::123456789012:assumed-role/Ops/ops-session (AssumedRole) at 2026-11-11T22:10:00Z from 203.0.113.10 with aws-cli/2.17.0.',
      );
      expect(report?.message).toContain('onTamper: restore');
      expect(report?.message).toContain(`created ${restored!.trafficMirrorSessionId} eni-0a1 of i-0a1: not-mirrored`);
    },
  );

  test('onTamper: report only reports, with what a reconcile would do', async () => {
    const config = configWith({ onTamper: 'report' });
    await start(config);
    await ec2.deleteSession('tms-0a1');
    const run = await deliver(sessionCallEvent('DeleteTrafficMirrorSession', 'tms-0a1'), config);
    expect(run.status).toBe('SUCCEEDED');
    expect(sessionsOf('eni-0a1')).toEqual([]);
    const [report] = opsMessages();
    expect(report?.message).toContain('autotap changed nothing (onTamper: report)');
    expect(report?.message).toContain('- planned eni-0a1 of i-0a1: not-mirrored');
    // The session is gone whatever autotap does: its record goes with it.
    expect(await local.registry.lookup('tms-0a1')).toBeUndefined();
  });

  test('of a stopped instance: not restored, only told', async () => {
    await start();
    await ec2.deleteSession('tms-0b1');
    await deliver(sessionCallEvent('DeleteTrafficMirrorSession', 'tms-0b1'));
    expect(sessionsOf('eni-0b1')).toEqual([]);
    expect(opsMessages()[0]?.message).toContain('Session tms-0b1 (eni-0b1 of i-0b1, target tmt-0a1) was deleted by');
  });

  test("another tool's session: nothing is done and nobody is told", async () => {
    await start();
    await ec2.deleteSession('tms-0f9');
    const run = await deliver(sessionCallEvent('DeleteTrafficMirrorSession', 'tms-0f9'));
    expect(run.status).toBe('SUCCEEDED');
    expect(sessionsOf('eni-0c1')).toEqual([]);
    expect(opsMessages()).toEqual([]);
  });

  test('a session the registry never heard of waits for the full reconcile, which records what it finds', async () => {
    await start(configWith(), { recordSeedSessions: false });
    await ec2.deleteSession('tms-0a1');
    await deliver(sessionCallEvent('DeleteTrafficMirrorSession', 'tms-0a1'));
    expect(sessionsOf('eni-0a1')).toEqual([]);
    // The schedule's full round restores it, and lines the registry up with the account.
    await local.run('reconcile', {});
    const [restored] = sessionsOf('eni-0a1');
    expect(restored).toBeDefined();
    expect(await local.registry.lookup(restored!.trafficMirrorSessionId)).toMatchObject({ reason: 'not-mirrored' });
    expect(await local.registry.lookup('tms-0b1')).toMatchObject({ instanceId: 'i-0b1', reason: FOUND_REASON });
    expect(await local.registry.lookup('tms-0f9')).toBeUndefined();
  });

  test('racing the launch rule and a second delivery of the same event: still one session', async () => {
    await start();
    await ec2.deleteSession('tms-0a1');
    const event = sessionCallEvent('DeleteTrafficMirrorSession', 'tms-0a1');
    const runs = await Promise.all([
      deliver(event),
      deliver(event),
      local.run('mirror-instances', { instanceIds: ['i-0a1'] }),
    ]);
    expect(runs.map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    // The same decision gives the same ClientToken, so the three creates are one session.
    expect(sessionsOf('eni-0a1')).toHaveLength(1);
    expect((await local.registry.list()).filter((r) => r.networkInterfaceId === 'eni-0a1')).toHaveLength(1);
  });

  test('a burst of deletes: every session back, once each', async () => {
    const instances = Array.from({ length: 30 }, (_, i) => `i-1${i.toString(16).padStart(3, '0')}`);
    local = await startLocalAutotap(
      {
        ...seed(),
        instances: instances.map((id) => ({
          id,
          availabilityZone: 'us-east-1a',
          networkInterfaces: [{ id: id.replace('i-', 'eni-') }],
        })),
        sessions: instances.map((id) => ({
          id: id.replace('i-', 'tms-'),
          networkInterfaceId: id.replace('i-', 'eni-'),
          targetId: 'tmt-0a1',
          filterId: 'tmf-0f1',
          sessionNumber: 1,
          tags: managed(id),
        })),
      },
      configWith(),
    );
    for (const id of instances) await ec2.deleteSession(id.replace('i-', 'tms-'));
    const runs = await Promise.all(
      instances.map((id) => deliver(sessionCallEvent('DeleteTrafficMirrorSession', id.replace('i-', 'tms-')))),
    );
    expect(runs.every((r) => r.status === 'SUCCEEDED')).toBe(true);
    for (const id of instances) expect(sessionsOf(id.replace('i-', 'eni-'))).toHaveLength(1);
    expect((await local.registry.list()).filter((r) => r.workflow === 'reconcile')).toHaveLength(instances.length);
  });
});

describe('a session someone else modified', () => {
  test.each(['wrapped', 'flat'] as const)(
    're-pointed to another target and filter: moved back, and ops is told what was asked (%s)',
    async (shape) => {
      await start();
      await ec2.modifySession('tms-0a1', { trafficMirrorTargetId: 'tmt-0f9', trafficMirrorFilterId: 'tmf-0f9' });
      const run = await deliver(
        sessionCallEvent(
          'ModifyTrafficMirrorSession',
          'tms-0a1',
          { TrafficMirrorTargetId: 'tmt-0f9', TrafficMirrorFilterId: 'tmf-0f9' },
          shape,
        ),
      );
      expect(run.status).toBe('SUCCEEDED');
      expect(sessionsOf('eni-0a1')).toEqual([
        expect.objectContaining({
          trafficMirrorSessionId: 'tms-0a1',
          trafficMirrorFilterId: 'tmf-0f1',
          trafficMirrorTargetId: expect.stringMatching(/^tmt-0a[12]$/),
        }),
      ]);
      const [report] = opsMessages();
      expect(report?.subject).toMatch(/^\[autotap\] session tms-0a1 modified by arn:aws:sts::/);
      expect(report?.message).toContain(
        'Changes asked for: trafficMirrorTargetId=tmt-0f9, trafficMirrorFilterId=tmf-0f9.',
      );
      expect(report?.message).toMatch(/- modified tms-0a1 eni-0a1 of i-0a1: target-not-configured,filter-changed/);
    },
  );

  test("another tool's session: left as its owner made it, nobody told", async () => {
    await start();
    await ec2.modifySession('tms-0f9', { trafficMirrorFilterId: 'tmf-0f1' });
    await deliver(sessionCallEvent('ModifyTrafficMirrorSession', 'tms-0f9', { TrafficMirrorFilterId: 'tmf-0f1' }));
    expect(sessionsOf('eni-0c1')).toEqual([expect.objectContaining({ trafficMirrorFilterId: 'tmf-0f1' })]);
    expect(opsMessages()).toEqual([]);
  });
});

describe('bad input', () => {
  test('a call without a session id fails the execution naming the field, and changes nothing', async () => {
    await start();
    const event = sessionCallEvent('DeleteTrafficMirrorSession', 'tms-0a1');
    const detail = event.detail as Record<string, unknown>;
    const run = await local.run('reconcile', { ...event, detail: { ...detail, requestParameters: {} } });
    expect(run.status).toBe('FAILED');
    expect(run.error?.name).toBe('InvalidInput');
    expect(run.error?.message).toMatch(
      /detail\.requestParameters\.trafficMirrorSessionId: expected a traffic mirror session id/,
    );
    expect(sessionsOf('eni-0a1')).toHaveLength(1);
  });

  test('a call without its time or identity names the missing field', async () => {
    await start();
    const event = sessionCallEvent('DeleteTrafficMirrorSession', 'tms-0a1');
    const { userIdentity: _identity, ...detail } = event.detail as Record<string, unknown>;
    const run = await local.run('reconcile', { ...event, detail });
    expect(run.status).toBe('FAILED');
    expect(run.error?.message).toMatch(/detail\.userIdentity/);
  });
});
