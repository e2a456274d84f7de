import type { MirroringSection, OrganizationConfig } from '../config/schema.ts';

/**
 * Which member accounts and Regions of the organization autotap mirrors, and what each account's
 * mirroring section is once its override applies. Pure: the accounts come from Organizations
 * (ListAccounts, ListParents) through an adapter, or from a scenario.
 */

/** An account as Organizations describes it: its id, state, and the units above it, nearest first, up to the root. */
export interface MemberAccount {
  id: string;
  /** ACTIVE, or SUSPENDED / PENDING_CLOSURE (Organizations' `State`): only an active account is mirrored. */
  state?: 'ACTIVE' | 'SUSPENDED' | 'PENDING_CLOSURE';
  /** The ids of its organizational units, nearest first, and last its root (r-...). */
  parents: readonly string[];
}

export type AccountVerdict =
  | { inScope: true; because: 'every-account' | 'allowed-account' | 'allowed-unit' }
  | { inScope: false; because: 'denied-account' | 'denied-unit' | 'not-allowed' | 'not-active' };

/**
 * Deny wins over allow, and an account's own entry over its units'. With both allow lists empty every
 * account is in scope; otherwise an account is when it, or a unit above it, is allowed.
 */
export function accountVerdict(org: OrganizationConfig, account: MemberAccount): AccountVerdict {
  if (account.state !== undefined && account.state !== 'ACTIVE') return { inScope: false, because: 'not-active' };
  if (org.accounts.deny.includes(account.id)) return { inScope: false, because: 'denied-account' };
  if (account.parents.some((unit) => org.organizationalUnits.deny.includes(unit)))
    return { inScope: false, because: 'denied-unit' };
  if (org.accounts.allow.length === 0 && org.organizationalUnits.allow.length === 0)
    return { inScope: true, because: 'every-account' };
  if (org.accounts.allow.includes(account.id)) return { inScope: true, because: 'allowed-account' };
  if (account.parents.some((unit) => org.organizationalUnits.allow.includes(unit)))
    return { inScope: true, because: 'allowed-unit' };
  return { inScope: false, because: 'not-allowed' };
}

/** One account and Region autotap acts in. */
export interface Place {
  accountId: string;
  region: string;
}

/** Every in-scope account in every configured Region, in the order given. */
export function placesInScope(org: OrganizationConfig, accounts: readonly MemberAccount[]): Place[] {
  return accounts
    .filter((account) => accountVerdict(org, account).inScope)
    .flatMap((account) => org.regions.map((region) => ({ accountId: account.id, region })));
}

/** Whether an event from this account and Region is one autotap acts on. */
export function placeInScope(org: OrganizationConfig, account: MemberAccount, region: string): boolean {
  return org.regions.includes(region) && accountVerdict(org, account).inScope;
}

/** The mirroring section as it applies in one account: its override's scope, targets and filter replace the stage's. */
export function mirroringForAccount(
  mirroring: MirroringSection,
  org: OrganizationConfig | undefined,
  accountId: string,
): MirroringSection {
  const override = org?.members[accountId];
  if (!override) return mirroring;
  return {
    ...mirroring,
    ...(override.scope ? { scope: override.scope } : {}),
    ...(override.targets ? { targets: override.targets } : {}),
    ...(override.filterId ? { filterId: override.filterId } : {}),
  };
}
