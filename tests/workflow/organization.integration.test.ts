import { afterEach, describe, expect, test } from '@jest/globals';
import { startLocalAutotap, type LocalAutotap } from '../../local/environment.ts';
import { parseConfig } from '../../src/config/load.ts';
import { sampleEvent } from './sample-events.ts';
import {
  centralSeed,
  DENIED,
  eniOf,
  instanceIn,
  MEMBER_FILTER,
  MEMBERS,
  organizationConfig,
  organizationSeed,
  REGIONS,
  TARGET,
} from './organization-fixture.ts';

/**
 * mirror-instances across an organization, on the local AWS: the real state machine and handlers,
 * each execution acting in the account and Region its event comes from through the member role (the
 * member template's own), mirroring to the central account's RAM-shared targets.
 */

const config = parseConfig(organizationConfig());
const organization = (without: { accountId: string; region: string }[] = []) =>
  organizationSeed(config, 'ResolveInterfacesRole', without);

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
          [eniOf(instanceIn(account, region)), TARGET[region], MEMBER_FILTER, 'true'],
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
      ...launched(MEMBERS[0], 'us-east-1'),
      region: 'ap-south-1',
    });
    expect(elsewhere.status).toBe('SUCCEEDED');
    expect(local.emulator.calls().AssumeRole).toBeUndefined();
    expect(local.emulator.organization.allPlaces().flatMap((p) => [...p.sessions.values()])).toEqual([]);
  });

  test('a member without the role: the execution fails at once with the fix, and is not retried', async () => {
    const missing = { accountId: MEMBERS[1], region: 'eu-west-1' };
    local = await startLocalAutotap(centralSeed, config, { organization: organization([missing]) });
    const execution = await local.run('mirror-instances', launched(missing.accountId, missing.region));
    expect(execution.status).toBe('FAILED');
    expect(execution.error?.name).toBe('MemberRoleUnavailable');
    expect(execution.error?.message).toContain('Deploy the member template');
    expect(local.emulator.calls().AssumeRole).toBe(1);
  });
});
