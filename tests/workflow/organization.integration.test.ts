import { afterEach, describe, expect, test } from '@jest/globals';
import type { OrganizationSeed } from '../../local/emulator/organization.ts';
import { startLocalAutotap, type LocalAutotap } from '../../local/environment.ts';
import { memberRoleOf } from '../../local/member-role.ts';
import { parseConfig } from '../../src/config/load.ts';
import { sampleEvent } from './sample-events.ts';

/**
 * mirror-instances across an organization, on the local AWS: the real state machine and handlers,
 * each execution acting in the account and Region its event comes from through the member role (the
 * member template's own), mirroring to the central account's RAM-shared targets.
 */

const CENTRAL = '111111111111';
const MEMBERS = ['222222222222', '333333333333'];
const DENIED = '444444444444';
const REGIONS = ['us-east-1', 'eu-west-1'];
const TARGET: Record<string, string> = { 'us-east-1': 'tmt-0a1', 'eu-west-1': 'tmt-0a2' };
const MEMBER_FILTER = 'tmf-0b1';

const config = parseConfig({
  mirroring: { filterId: 'tmf-0c1', targets: [{ id: 'tmt-0a1' }, { id: 'tmt-0a2' }] },
  organization: { id: 'o-a1b2c3d4e5', centralAccountId: CENTRAL, regions: REGIONS, accounts: { deny: [DENIED] } },
});

/** One instance per account and Region, its id telling which: i-<account digit><region digit>. */
const instanceIn = (account: string, region: string) => `i-0${account[0]}${REGIONS.indexOf(region) + 1}`;
const memberPlace = (accountId: string, region: string) => ({
  accountId,
  region,
  seed: {
    filters: [{ id: MEMBER_FILTER, tags: { 'autotap:filter': 'dev' } }],
    instances: [
      {
        id: instanceIn(accountId, region),
        availabilityZone: `${region}a`,
        networkInterfaces: [{ id: `eni-${instanceIn(accountId, region).slice(2)}` }],
      },
    ],
  },
});

function organization(without: { accountId: string; region: string }[] = []): OrganizationSeed {
  const withRole = (accountId: string, region: string) =>
    !without.some((w) => w.accountId === accountId && w.region === region);
  const members = [...MEMBERS, DENIED];
  return {
    callerRoleArn: `arn:aws:iam::${CENTRAL}:role/autotap-dev-ResolveInterfacesRole-0A1B2C`,
    places: [
      {
        accountId: CENTRAL,
        region: 'eu-west-1',
        seed: { targets: [{ id: 'tmt-0a2', type: 'network-load-balancer' }] },
      },
      ...members.flatMap((accountId) => REGIONS.map((region) => memberPlace(accountId, region))),
    ],
    roles: members.flatMap((accountId) =>
      REGIONS.filter((region) => withRole(accountId, region)).map((region) =>
        memberRoleOf(config, 'dev', { accountId, region, filterId: MEMBER_FILTER }),
      ),
    ),
    shares: REGIONS.map((region) => ({
      targetId: TARGET[region]!,
      region,
      ownerAccountId: CENTRAL,
      accounts: members,
    })),
  };
}

const centralSeed = {
  accountId: CENTRAL,
  region: 'us-east-1',
  targets: [{ id: 'tmt-0a1', type: 'network-load-balancer' as const }],
  filters: [{ id: 'tmf-0c1' }],
};

/** The EC2 running event of an instance, as a member's forwarding rule delivers it to the central bus. */
const launched = (account: string, region: string) => {
  const event = sampleEvent('ec2-instance-running.json');
  return {
    ...event,
    account,
    region,
    detail: { ...(event.detail as object), 'instance-id': instanceIn(account, region) },
  };
};

let local: LocalAutotap | undefined;
afterEach(async () => {
  await local?.close();
  local = undefined;
});

describe('mirror-instances in an organization', () => {
  test('a launch in each member account and Region is mirrored there, to the central target shared in that Region', async () => {
    local = await startLocalAutotap(centralSeed, config, { organization: organization() });
    for (const account of MEMBERS)
      for (const region of REGIONS) {
        const execution = await local.run('mirror-instances', launched(account, region));
        expect({ account, region, status: execution.status }).toEqual({ account, region, status: 'SUCCEEDED' });
        const sessions = [...local.emulator.organization.placeOf(account, region).sessions.values()];
        expect(sessions.map((s) => [s.networkInterfaceId, s.targetId, s.filterId, s.tags['autotap:managed']])).toEqual([
          [`eni-${instanceIn(account, region).slice(2)}`, TARGET[region], MEMBER_FILTER, 'true'],
        ]);
      }
    // The central account made none of its own; it sees the members' sessions on its targets.
    expect(local.emulator.sessions()).toEqual([]);
  });

  test('an account or a Region out of scope is not touched, not even described', async () => {
    local = await startLocalAutotap(centralSeed, config, { organization: organization() });
    const denied = await local.run('mirror-instances', launched(DENIED, 'us-east-1'));
    expect(denied.status).toBe('SUCCEEDED');
    expect((denied.output as { results: { outcome: string; reason?: string }[] }).results).toEqual([
      expect.objectContaining({
        instanceId: instanceIn(DENIED, 'us-east-1'),
        outcome: 'skipped',
        reason: 'out-of-scope',
      }),
    ]);
    const elsewhere = await local.run('mirror-instances', {
      ...launched(MEMBERS[0]!, 'us-east-1'),
      region: 'ap-south-1',
    });
    expect(elsewhere.status).toBe('SUCCEEDED');
    expect(local.emulator.calls().AssumeRole).toBeUndefined();
    expect(local.emulator.organization.allPlaces().flatMap((p) => [...p.sessions.values()])).toEqual([]);
  });

  test('a member without the role: the execution fails at once with the fix, and is not retried', async () => {
    const missing = { accountId: MEMBERS[1]!, region: 'eu-west-1' };
    local = await startLocalAutotap(centralSeed, config, { organization: organization([missing]) });
    const execution = await local.run('mirror-instances', launched(missing.accountId, missing.region));
    expect(execution.status).toBe('FAILED');
    expect(execution.error?.name).toBe('MemberRoleUnavailable');
    expect(execution.error?.message).toContain('Deploy the member template');
    expect(local.emulator.calls().AssumeRole).toBe(1);
  });
});
