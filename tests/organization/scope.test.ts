import { describe, expect, test } from '@jest/globals';
import { parseConfig } from '../../src/config/load.ts';
import type { OrganizationConfig } from '../../src/config/schema.ts';
import {
  accountVerdict,
  mirroringForAccount,
  placeInScope,
  placesInScope,
  reconcilePlaces,
  scopeNeedsOrganizations,
  type MemberAccount,
} from '../../src/organization/scope.ts';

const MIRRORING = { filterId: 'tmf-0a', targets: [{ id: 'tmt-0a' }] };
const CENTRAL = '111111111111';

function organization(extra: Record<string, unknown> = {}): OrganizationConfig {
  const config = parseConfig({
    mirroring: MIRRORING,
    organization: { id: 'o-a1b2c3d4e5', centralAccountId: CENTRAL, regions: ['us-east-1', 'eu-west-1'], ...extra },
  });
  return config.organization!;
}

function problem(extra: Record<string, unknown>): string {
  try {
    organization(extra);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

const WORKLOADS = 'ou-ab12-workload1';
const SANDBOX = 'ou-ab12-sandbox01';
const ROOT = 'r-ab12';
const account = (id: string, ...units: string[]): MemberAccount => ({ id, state: 'ACTIVE', parents: [...units, ROOT] });

describe('organization configuration', () => {
  test('defaults: every account, the member role autotap-member, no overrides', () => {
    expect(organization()).toEqual({
      id: 'o-a1b2c3d4e5',
      centralAccountId: CENTRAL,
      memberRoleName: 'autotap-member',
      regions: ['us-east-1', 'eu-west-1'],
      accounts: { allow: [], deny: [] },
      organizationalUnits: { allow: [], deny: [] },
      members: {},
    });
  });

  test('each wrong field is named with what was expected', () => {
    expect(problem({ centralAccountId: 111111111111 })).toContain(
      'organization.centralAccountId: expected an AWS account ID of 12 digits',
    );
    expect(problem({ accounts: { allow: ['1234'] } })).toContain(
      'organization.accounts.allow[0]: expected an AWS account ID',
    );
    expect(problem({ organizationalUnits: { deny: ['sandbox'] } })).toContain(
      'organization.organizationalUnits.deny[0]: expected an organizational unit id like ou-ab12-cdef3456',
    );
    expect(problem({ regions: [] })).toContain('organization.regions: expected at least one Region');
    expect(problem({ regions: ['us-east-1', 'us-east-1'] })).toContain(
      'organization.regions: expected each Region once',
    );
    expect(problem({ regions: ['Virginia'] })).toContain('organization.regions[0]: expected a Region like us-east-1');
    expect(problem({ id: 'org-1' })).toContain('organization.id: expected an organization id like o-a1b2c3d4e5');
    expect(problem({ accounts: { allow: ['222222222222'], deny: ['222222222222'] } })).toContain(
      'organization.accounts.allow[0]: account 222222222222 is both allowed and denied',
    );
    expect(
      problem({ accounts: { deny: ['333333333333'] }, members: { '333333333333': { filterId: 'tmf-0b' } } }),
    ).toContain('organization.members.333333333333: account 333333333333 is denied');
    expect(problem({ members: { prod: { filterId: 'tmf-0b' } } })).toContain(
      'organization.members.prod: expected an AWS account ID of 12 digits as the key',
    );
    expect(problem({ members: { '444444444444': { targets: [] } } })).toContain(
      'organization.members.444444444444.targets: expected at least one target',
    );
    expect(problem({ memberRole: 'x' })).toContain('organization: Unrecognized key: "memberRole"');
  });
});

describe('accountVerdict', () => {
  test('no allow list: every active account, less the denied accounts and units', () => {
    const org = organization({ accounts: { deny: ['222222222222'] }, organizationalUnits: { deny: [SANDBOX] } });
    expect(accountVerdict(org, account('333333333333', WORKLOADS))).toEqual({
      inScope: true,
      because: 'every-account',
    });
    expect(accountVerdict(org, account('222222222222', WORKLOADS))).toEqual({
      inScope: false,
      because: 'denied-account',
    });
    // A unit above the unit the account is in counts too.
    expect(accountVerdict(org, account('444444444444', 'ou-ab12-teamsbox1', SANDBOX))).toEqual({
      inScope: false,
      because: 'denied-unit',
    });
    expect(accountVerdict(org, { ...account('555555555555'), state: 'SUSPENDED' })).toEqual({
      inScope: false,
      because: 'not-active',
    });
  });

  test('allow lists: only what they name, and a deny still wins over an allowed unit', () => {
    const org = organization({
      accounts: { allow: ['666666666666'], deny: ['777777777777'] },
      organizationalUnits: { allow: [WORKLOADS] },
    });
    expect(accountVerdict(org, account('666666666666', SANDBOX)).because).toBe('allowed-account');
    expect(accountVerdict(org, account('888888888888', 'ou-ab12-team0001', WORKLOADS)).because).toBe('allowed-unit');
    expect(accountVerdict(org, account('777777777777', WORKLOADS)).because).toBe('denied-account');
    expect(accountVerdict(org, account('999999999999', SANDBOX))).toEqual({ inScope: false, because: 'not-allowed' });
    // The root allows the whole organization.
    expect(
      accountVerdict(organization({ organizationalUnits: { allow: [ROOT] } }), account('999999999999')).inScope,
    ).toBe(true);
  });
});

describe('places', () => {
  test('every in-scope account in every configured Region; an event from another Region is not acted on', () => {
    const org = organization({ organizationalUnits: { deny: [SANDBOX] } });
    const accounts = [account(CENTRAL), account('222222222222', WORKLOADS), account('333333333333', SANDBOX)];
    expect(placesInScope(org, accounts)).toEqual([
      { accountId: CENTRAL, region: 'us-east-1' },
      { accountId: CENTRAL, region: 'eu-west-1' },
      { accountId: '222222222222', region: 'us-east-1' },
      { accountId: '222222222222', region: 'eu-west-1' },
    ]);
    expect(placeInScope(org, accounts[1]!, 'eu-west-1')).toBe(true);
    expect(placeInScope(org, accounts[1]!, 'ap-south-1')).toBe(false);
    expect(placeInScope(org, accounts[2]!, 'us-east-1')).toBe(false);
  });
});

describe('mirroringForAccount', () => {
  test("an account's override replaces the scope, targets and filter it names; other accounts keep the stage's", () => {
    const config = parseConfig({
      mirroring: MIRRORING,
      organization: {
        id: 'o-a1b2c3d4e5',
        centralAccountId: CENTRAL,
        regions: ['us-east-1'],
        members: {
          '222222222222': { targets: [{ id: 'tmt-0b' }], scope: { vpcIds: ['vpc-0b'] } },
          '333333333333': { filterId: 'tmf-0c' },
        },
      },
    });
    const stage = config.mirroring;
    const first = mirroringForAccount(stage, config.organization, '222222222222');
    expect(first.targets).toEqual([{ id: 'tmt-0b' }]);
    expect(first.scope).toEqual({
      vpcIds: ['vpc-0b'],
      subnetIds: [],
      includeTags: {},
      excludeTags: { 'autotap:mirror': 'false' },
    });
    expect(first.filterId).toBe('tmf-0a');
    expect(mirroringForAccount(stage, config.organization, '333333333333')).toEqual({ ...stage, filterId: 'tmf-0c' });
    expect(mirroringForAccount(stage, config.organization, '444444444444')).toBe(stage);
    expect(mirroringForAccount(stage, undefined, '222222222222')).toBe(stage);
  });
});

describe('the places a reconcile covers', () => {
  const place = (accountId: string, region: string) => ({ accountId, region });

  test('an allow list of accounts alone needs no Organizations; units or no list at all do', () => {
    expect(scopeNeedsOrganizations(organization({ accounts: { allow: ['222222222222'] } }))).toEqual({
      accounts: false,
      units: false,
    });
    expect(scopeNeedsOrganizations(organization())).toEqual({ accounts: true, units: false });
    expect(scopeNeedsOrganizations(organization({ organizationalUnits: { deny: [SANDBOX] } }))).toEqual({
      accounts: true,
      units: true,
    });
  });

  test('every in-scope account in every Region; a denied unit, a suspended account and an unlisted one are left out', () => {
    const org = organization({ organizationalUnits: { allow: [WORKLOADS], deny: [SANDBOX] } });
    const accounts = [
      account(CENTRAL, WORKLOADS),
      account('222222222222', WORKLOADS),
      account('333333333333', SANDBOX, WORKLOADS),
      { ...account('444444444444', WORKLOADS), state: 'SUSPENDED' as const },
      account('555555555555'),
    ];
    expect(reconcilePlaces(org, accounts)).toEqual([
      place(CENTRAL, 'us-east-1'),
      place(CENTRAL, 'eu-west-1'),
      place('222222222222', 'us-east-1'),
      place('222222222222', 'eu-west-1'),
    ]);
  });

  test('an allow list of accounts is the list, without asking Organizations; one place asked is that place, if in scope', () => {
    const org = organization({ accounts: { allow: ['222222222222'], deny: ['333333333333'] } });
    expect(reconcilePlaces(org, undefined)).toEqual([
      place('222222222222', 'us-east-1'),
      place('222222222222', 'eu-west-1'),
    ]);
    expect(reconcilePlaces(org, undefined, place('222222222222', 'eu-west-1'))).toEqual([
      place('222222222222', 'eu-west-1'),
    ]);
    expect(reconcilePlaces(org, undefined, place('333333333333', 'eu-west-1'))).toEqual([]);
    expect(reconcilePlaces(org, undefined, place('222222222222', 'ap-south-1'))).toEqual([]);
  });
});
