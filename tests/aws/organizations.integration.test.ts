import { afterEach, describe, expect, test } from '@jest/globals';
import { startEmulator, type Emulator } from '../../local/emulator/index.ts';
import type { OrganizationSeed } from '../../local/emulator/organization.ts';
import { describeOrganizationAccounts } from '../../src/aws/organizations.ts';

/** The Organizations adapter against the local AWS's ListAccounts and ListParents. */

const HOME = '111111111111';
const WORKLOADS = 'ou-ab12-workload1';
const TEAM = 'ou-ab12-teamaaaa1';

let emulator: Emulator | undefined;
const saved = { ...process.env };
afterEach(async () => {
  process.env = { ...saved };
  await emulator?.close();
  emulator = undefined;
});

async function start(organization: OrganizationSeed) {
  emulator = await startEmulator({ accountId: HOME }, { organization });
  Object.assign(process.env, emulator.env(), { AWS_MAX_ATTEMPTS: '1' });
  return emulator;
}

/** 45 member accounts: three pages of ListAccounts (at most 20 each). */
const members = Array.from({ length: 45 }, (_, i) => String(200000000000 + i));

describe('describeOrganizationAccounts', () => {
  test('every account over every page, with its units up to the root, each unit asked once', async () => {
    const local = await start({
      accounts: [
        ...members.map((id, i) => ({ id, parents: i % 2 === 0 ? [TEAM, WORKLOADS] : [] })),
        { id: '399999999999', state: 'SUSPENDED' },
      ],
    });
    const accounts = await describeOrganizationAccounts(true);
    expect(accounts).toHaveLength(47);
    expect(accounts.find((a) => a.id === members[0])).toEqual({
      id: members[0],
      state: 'ACTIVE',
      parents: [TEAM, WORKLOADS, 'r-loca'],
    });
    expect(accounts.find((a) => a.id === members[1])?.parents).toEqual(['r-loca']);
    expect(accounts.find((a) => a.id === '399999999999')?.state).toBe('SUSPENDED');
    expect(accounts.find((a) => a.id === HOME)?.state).toBe('ACTIVE');
    expect(local.calls().ListAccounts).toBe(3);
    // One call per account, then the team's and the workloads unit's parents once each.
    expect(local.calls().ListParents).toBe(47 + 2);
  });

  test('without units, no ListParents at all', async () => {
    const local = await start({ accounts: members.slice(0, 3).map((id) => ({ id })) });
    expect((await describeOrganizationAccounts(false)).map((a) => a.parents)).toEqual([[], [], [], []]);
    expect(local.calls().ListParents).toBeUndefined();
  });

  test('an account that may not read Organizations: a refusal naming both ways out', async () => {
    await start({ organizationsAccess: false });
    await expect(describeOrganizationAccounts(false)).rejects.toMatchObject({
      name: 'OrganizationsUnavailable',
      reason: 'organizations-unavailable',
      message: expect.stringContaining('delegated administrator'),
    });
    await expect(describeOrganizationAccounts(false)).rejects.toMatchObject({
      message: expect.stringContaining('organization.accounts.allow'),
    });
  });
});
