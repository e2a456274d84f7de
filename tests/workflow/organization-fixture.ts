import type { OrganizationSeed } from '../../local/emulator/organization.ts';
import { memberRoleOf } from '../../local/member-role.ts';
import type { Config } from '../../src/config/schema.ts';

/**
 * The organization the workflow tests play: a central account with a target in each of two Regions,
 * shared through RAM with two members and a third account the configuration denies. Each member
 * has the member template's filter and one instance per Region.
 */

export const CENTRAL = '111111111111';
export const MEMBERS = ['222222222222', '333333333333'] as const;
export const DENIED = '444444444444';
export const REGIONS = ['us-east-1', 'eu-west-1'];
export const TARGET: Record<string, string> = { 'us-east-1': 'tmt-0a1', 'eu-west-1': 'tmt-0a2' };
export const MEMBER_FILTER = 'tmf-0b1';

/** The configuration's part both tests share; each adds its own mirroring options. */
export const organizationConfig = (mirroring: Record<string, unknown> = {}) => ({
  mirroring: { filterId: 'tmf-0c1', targets: [{ id: 'tmt-0a1' }, { id: 'tmt-0a2' }], ...mirroring },
  organization: { id: 'o-a1b2c3d4e5', centralAccountId: CENTRAL, regions: REGIONS, accounts: { deny: [DENIED] } },
});

/** The instance of an account and Region: i-0<account digit><region digit>[n]; its ENI eni-<same>. */
export const instanceIn = (account: string, region: string, n = 1) =>
  `i-0${account[0]}${REGIONS.indexOf(region) + 1}${n > 1 ? n : ''}`;
export const eniOf = (instanceId: string) => `eni-${instanceId.slice(2)}`;

const memberPlace = (accountId: string, region: string) => ({
  accountId,
  region,
  seed: {
    filters: [{ id: MEMBER_FILTER, tags: { 'autotap:filter': 'dev' } }],
    instances: [
      {
        id: instanceIn(accountId, region),
        availabilityZone: `${region}a`,
        networkInterfaces: [{ id: eniOf(instanceIn(accountId, region)) }],
      },
    ],
  },
});

/** The organization, with the member role missing where `without` says; the caller is a central stack role. */
export function organizationSeed(
  config: Config,
  callerRole: string,
  without: { accountId: string; region: string }[] = [],
): OrganizationSeed {
  const members = [...MEMBERS, DENIED];
  const withRole = (accountId: string, region: string) =>
    !without.some((w) => w.accountId === accountId && w.region === region);
  return {
    callerRoleArn: `arn:aws:iam::${CENTRAL}:role/autotap-dev-${callerRole}-0A1B2C`,
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

export const centralSeed = {
  accountId: CENTRAL,
  region: 'us-east-1',
  targets: [{ id: 'tmt-0a1', type: 'network-load-balancer' as const }],
  filters: [{ id: 'tmf-0c1' }],
};
