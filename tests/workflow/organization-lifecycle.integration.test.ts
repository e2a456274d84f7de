import { afterEach, describe, expect, test } from '@jest/globals';
import { startLocalAutotap, type LocalAutotap } from '../../local/environment.ts';
import { parseConfig } from '../../src/config/load.ts';
import { sampleEvent } from './sample-events.ts';
import {
  CENTRAL,
  centralSeed,
  DENIED,
  eniOf,
  instanceIn,
  MEMBER_FILTER,
  MEMBERS,
  organizationConfig,
  organizationSeed,
  REGIONS,
} from './organization-fixture.ts';

/**
 * An organization's whole life on the local AWS: 3 accounts (the central one and two members) x 2
 * Regions, targets in the central account shared through RAM, and a denied fourth account. Launch,
 * attach, stop, terminate and reconcile run through the real state machines and handlers, each
 * acting in its place through the member role (the member template's own policy, enforced).
 */

const config = parseConfig(organizationConfig({ onStop: 'delete' }));
const organization = (without: { accountId: string; region: string }[] = []) =>
  organizationSeed(config, 'ReconcileRoundRole', without);

/** An event as a member's forwarding rule delivers it to the central bus: its own account and Region. */
const from = (account: string, region: string, event: Record<string, unknown>) => ({ ...event, account, region });
const stateChange = (account: string, region: string, instanceId: string, state: string) => {
  const event = sampleEvent('ec2-instance-running.json');
  return from(account, region, { ...event, detail: { ...(event.detail as object), 'instance-id': instanceId, state } });
};
const scheduled = {
  version: '0',
  id: 'a1b2c3d4-0000-0000-0000-000000000001',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: CENTRAL,
  time: '2026-12-07T21:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail: {},
};

let local: LocalAutotap | undefined;
afterEach(async () => {
  await local?.close();
  local = undefined;
});

const placeOf = (account: string, region: string) => local!.emulator.organization.placeOf(account, region);
const sessionsIn = (account: string, region: string) =>
  [...placeOf(account, region).sessions.values()].map((s) => [s.networkInterfaceId, s.targetId, s.filterId]);
const opsMessages = () => local!.emulator.published().filter((m) => m.topicArn === local!.opsTopicArn);

describe('an organization of 3 accounts x 2 Regions, from launch to reconcile', () => {
  test('launch, attach, stop, terminate and reconcile each act in their place; nothing outside the scope', async () => {
    local = await startLocalAutotap(centralSeed, config, { organization: organization() });
    const [first, second] = MEMBERS as [string, string];

    // Launch: every member instance, in each Region, mirrored in its own account.
    for (const account of MEMBERS)
      for (const region of REGIONS)
        expect(
          (await local.run('mirror-instances', stateChange(account, region, instanceIn(account, region), 'running')))
            .status,
        ).toBe('SUCCEEDED');

    // Attach: a second ENI on the first member's instance in us-east-1.
    const instance = instanceIn(first, 'us-east-1');
    placeOf(first, 'us-east-1').addNetworkInterface({ id: 'eni-0a77ac1', availabilityZone: 'us-east-1a' });
    placeOf(first, 'us-east-1').attachNetworkInterface('eni-0a77ac1', instance, 1);
    const attach = sampleEvent('cloudtrail-attach-network-interface.json');
    const attachDetail = attach.detail as { requestParameters: Record<string, unknown> };
    const attached = await local.run(
      'mirror-instances',
      from(first, 'us-east-1', {
        ...attach,
        detail: {
          ...attachDetail,
          requestParameters: {
            ...attachDetail.requestParameters,
            networkInterfaceId: 'eni-0a77ac1',
            instanceId: instance,
          },
        },
      }),
    );
    expect(attached.error).toBeNull();
    expect(attached.status).toBe('SUCCEEDED');
    // Each member place's filter was looked up once; the attach reused its place's lookup.
    expect(local.emulator.calls().DescribeTrafficMirrorFilters).toBe(4);
    expect(sessionsIn(first, 'us-east-1')).toEqual([
      [eniOf(instance), 'tmt-0a1', MEMBER_FILTER],
      ['eni-0a77ac1', 'tmt-0a1', MEMBER_FILTER],
    ]);

    // Stop (onStop: delete) in the first member's eu-west-1; terminate in the second's us-east-1.
    const stopped = instanceIn(first, 'eu-west-1');
    placeOf(first, 'eu-west-1').stopInstance(stopped);
    expect((await local.run('cleanup-sessions', stateChange(first, 'eu-west-1', stopped, 'stopped'))).status).toBe(
      'SUCCEEDED',
    );
    expect(sessionsIn(first, 'eu-west-1')).toEqual([]);
    const terminated = instanceIn(second, 'us-east-1');
    placeOf(second, 'us-east-1').terminateInstance(terminated);
    expect(
      (await local.run('cleanup-sessions', stateChange(second, 'us-east-1', terminated, 'terminated'))).status,
    ).toBe('SUCCEEDED');
    expect(sessionsIn(second, 'us-east-1')).toEqual([]);

    // Drift for the reconciler: a session deleted by hand, an instance launched without its event,
    // another tool's session on the shared target, and instances in the denied account.
    const deleted = [...placeOf(second, 'eu-west-1').sessions.values()][0]!;
    placeOf(second, 'eu-west-1').sessions.delete(deleted.id);
    const quiet = instanceIn(first, 'us-east-1', 2);
    placeOf(first, 'us-east-1').addInstance({
      id: quiet,
      availabilityZone: 'us-east-1a',
      networkInterfaces: [{ id: eniOf(quiet) }],
    });
    placeOf(first, 'us-east-1').addInstance({
      id: 'i-0f0e1',
      availabilityZone: 'us-east-1a',
      networkInterfaces: [{ id: 'eni-0f0e1' }],
    });
    placeOf(first, 'us-east-1').addSession({
      id: 'tms-0f0e1',
      networkInterfaceId: 'eni-0f0e1',
      targetId: 'tmt-0a1',
      filterId: MEMBER_FILTER,
      sessionNumber: 5,
      tags: { team: 'netops' },
    });

    const reconcile = await local.run('reconcile', scheduled);
    expect(reconcile.status).toBe('SUCCEEDED');
    const summary = reconcile.output as { counts: Record<string, number> };
    // 3 accounts x 2 Regions: the denied account is not among them (read from Organizations).
    expect(summary.counts.places).toBe(6);
    expect(local.emulator.calls().ListAccounts).toBeGreaterThanOrEqual(1);
    expect(summary.counts.created).toBe(2);
    expect(summary.counts.deleted ?? 0).toBe(0);

    expect(sessionsIn(first, 'us-east-1').sort()).toEqual(
      [
        [eniOf(instance), 'tmt-0a1', MEMBER_FILTER],
        ['eni-0a77ac1', 'tmt-0a1', MEMBER_FILTER],
        [eniOf(quiet), 'tmt-0a1', MEMBER_FILTER],
        ['eni-0f0e1', 'tmt-0a1', MEMBER_FILTER],
      ].sort(),
    );
    expect(sessionsIn(second, 'eu-west-1')).toEqual([
      [eniOf(instanceIn(second, 'eu-west-1')), 'tmt-0a2', MEMBER_FILTER],
    ]);
    // Stopped and terminated stay unmirrored; the denied account is untouched; the central account,
    // which sees every member's session on its targets, made and deleted none.
    expect(sessionsIn(first, 'eu-west-1')).toEqual([]);
    expect(sessionsIn(second, 'us-east-1')).toEqual([]);
    for (const region of REGIONS) expect(sessionsIn(DENIED, region)).toEqual([]);
    expect(local.emulator.sessions()).toEqual([]);
    expect(placeOf(first, 'us-east-1').sessions.get('tms-0f0e1')?.tags).toEqual({ team: 'netops' });

    // The registry names the account and Region of every session autotap manages. (Records of the
    // sessions gone, the terminated instance's and the one deleted by hand, are forgotten once they
    // are older than RECORD_SETTLE_MS: describes are eventually consistent.)
    const records = await local.registry.list();
    const live = local.emulator.organization
      .allPlaces()
      .flatMap((p) =>
        [...p.sessions.values()]
          .filter((x) => x.tags['autotap:managed'] === 'true')
          .map((x) => `${p.accountId} ${p.region} ${x.id} ${x.networkInterfaceId}`),
      );
    const recorded = new Set(
      records.map((r) => `${r.accountId} ${r.region} ${r.trafficMirrorSessionId} ${r.networkInterfaceId}`),
    );
    expect(live).toHaveLength(4);
    expect(live.filter((x) => !recorded.has(x))).toEqual([]);
    expect(records.filter((r) => r.accountId === undefined)).toEqual([]);

    // A second reconcile finds nothing to do anywhere and keeps quiet.
    const before = opsMessages().length;
    const again = await local.run('reconcile', scheduled);
    expect((again.output as { counts: Record<string, number> }).counts.created ?? 0).toBe(0);
    expect(opsMessages().length).toBe(before);
  });

  test('a member without the role: its places are reported to ops with the fix; every other place is reconciled', async () => {
    const missing = { accountId: MEMBERS[1], region: 'eu-west-1' };
    local = await startLocalAutotap(centralSeed, config, { organization: organization([missing]) });
    const reconcile = await local.run('reconcile', scheduled);
    expect(reconcile.status).toBe('SUCCEEDED');
    // Each member instance but the unreachable one is mirrored by the reconciler alone.
    expect(sessionsIn(MEMBERS[0], 'us-east-1')).toHaveLength(1);
    expect(sessionsIn(MEMBERS[0], 'eu-west-1')).toHaveLength(1);
    expect(sessionsIn(MEMBERS[1], 'us-east-1')).toHaveLength(1);
    expect(sessionsIn(missing.accountId, missing.region)).toEqual([]);
    const [report] = opsMessages();
    expect(report?.subject).toBe('[autotap] reconcile: 1 need attention');
    expect(report?.message).toContain(
      `- ${missing.accountId} eu-west-1: failed-slices 1; stopped by MemberRoleUnavailable`,
    );
    expect(report?.message).toContain('Deploy the member template');
    // Not retried: the role was asked for once in that place.
    const summary = reconcile.output as { counts: Record<string, number> };
    expect(summary.counts['failed-slices']).toBe(1);
  });

  test('a throttled member account: its place is slowed, not lost; the other places are not throttled', async () => {
    local = await startLocalAutotap(centralSeed, config, { organization: organization() });
    const [busy] = MEMBERS;
    const extra = Array.from({ length: 12 }, (_, n) => instanceIn(busy, 'us-east-1', n + 2));
    for (const id of extra)
      placeOf(busy, 'us-east-1').addInstance({
        id,
        availabilityZone: 'us-east-1a',
        networkInterfaces: [{ id: eniOf(id) }],
      });
    // EC2 meters each account and Region on its own: only this one answers RequestLimitExceeded.
    local.emulator.setPlaceFaults(busy, 'us-east-1', { throttle: { rate: 0.5, seed: 7 } });
    const reconcile = await local.run('reconcile', scheduled);
    expect(reconcile.status).toBe('SUCCEEDED');
    expect(sessionsIn(busy, 'us-east-1')).toHaveLength(13);
    for (const [account, region] of [
      [busy, 'eu-west-1'],
      [MEMBERS[1], 'us-east-1'],
      [MEMBERS[1], 'eu-west-1'],
    ] as const)
      expect(sessionsIn(account, region)).toHaveLength(1);
    const throttled = local
      .metrics()
      .filter((m) => m.name === 'AwsThrottled' && m.dimensions.Service === 'ec2')
      .reduce((n, m) => n + m.values.reduce((a, b) => a + b, 0), 0);
    expect(throttled).toBeGreaterThan(0);
    expect((reconcile.output as { counts: Record<string, number> }).counts['failed-slices'] ?? 0).toBe(0);
  });

  test('a revoked share: that place reports it has no target, creates nothing, and the others go on', async () => {
    local = await startLocalAutotap(centralSeed, config, { organization: organization() });
    const [revoked, kept] = MEMBERS;
    local.emulator.organization.setShared('tmt-0a2', revoked, false);
    const reconcile = await local.run('reconcile', scheduled);
    expect(reconcile.status).toBe('SUCCEEDED');
    expect(sessionsIn(revoked, 'eu-west-1')).toEqual([]);
    expect(sessionsIn(kept, 'eu-west-1')).toEqual([[eniOf(instanceIn(kept, 'eu-west-1')), 'tmt-0a2', MEMBER_FILTER]]);
    expect(sessionsIn(revoked, 'us-east-1')).toHaveLength(1);
    const [report] = opsMessages();
    expect(report?.subject).toBe('[autotap] reconcile: 1 need attention');
    expect(report?.message).toContain(
      `- ${revoked} eu-west-1: skipped 1; skipped ${eniOf(instanceIn(revoked, 'eu-west-1'))} of ${instanceIn(revoked, 'eu-west-1')}: no-target`,
    );
  });

  test('a tag change in a member reconciles its instance there, and only there', async () => {
    local = await startLocalAutotap(centralSeed, config, { organization: organization() });
    const account = MEMBERS[1];
    const instance = instanceIn(account, 'eu-west-1');
    const tagged = sampleEvent('tag-change-on-instance.json');
    const execution = await local.run(
      'reconcile',
      from(account, 'eu-west-1', {
        ...tagged,
        resources: [`arn:aws:ec2:eu-west-1:${account}:instance/${instance}`],
      }),
    );
    expect(execution.status).toBe('SUCCEEDED');
    expect((execution.output as { counts: Record<string, number> }).counts.places).toBe(1);
    expect(sessionsIn(account, 'eu-west-1')).toEqual([[eniOf(instance), 'tmt-0a2', MEMBER_FILTER]]);
    expect(sessionsIn(MEMBERS[0], 'eu-west-1')).toEqual([]);
    expect(local.emulator.calls().ListAccounts).toBeUndefined();
  });
});
