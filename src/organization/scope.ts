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
export function mirroringForAccount<M extends Pick<MirroringSection, 'scope' | 'targets' | 'filterId'>>(
  mirroring: M,
  org: OrganizationConfig | undefined,
  accountId: string,
): M {
  const override = org?.members[accountId];
  if (!override) return mirroring;
  return {
    ...mirroring,
    ...(override.scope ? { scope: override.scope } : {}),
    ...(override.targets ? { targets: override.targets } : {}),
    ...(override.filterId ? { filterId: override.filterId } : {}),
  };
}

/**
 * Whether an event's account and Region are out of scope as far as an execution can tell: a Region
 * not served, a denied account, or, when the allow lists name accounts only, an account not among
 * them. Organizational units are the StackSet's to apply: only their accounts get the member
 * template, so only they forward events (docs/organization.md); the reconciler reads them from
 * Organizations.
 */
export function placeOutOfScope(org: OrganizationConfig, place: Place): boolean {
  if (!org.regions.includes(place.region)) return true;
  if (org.accounts.deny.includes(place.accountId)) return true;
  const accountsOnly = org.accounts.allow.length > 0 && org.organizationalUnits.allow.length === 0;
  return accountsOnly && !org.accounts.allow.includes(place.accountId);
}

/**
 * The places one reconcile execution covers at most. Each place's result rides in the execution's
 * state (a few hundred bytes of counts) and its rounds in its history, so the bound keeps an
 * execution inside Step Functions' 256 KiB payload and 25,000 history events
 * (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html).
 */
export const MAX_RECONCILE_PLACES = 300;

/** Whether the accounts in scope can only be known from Organizations (an allow list of accounts alone is enough). */
export function scopeNeedsOrganizations(org: OrganizationConfig): { accounts: boolean; units: boolean } {
  const units = org.organizationalUnits.allow.length > 0 || org.organizationalUnits.deny.length > 0;
  return { accounts: units || org.accounts.allow.length === 0, units };
}

/**
 * What a reconcile covers: the one place asked for (when in scope), or every in-scope account in
 * every configured Region. The accounts are Organizations' when the scope needs them, else the
 * allow list's.
 */
export function reconcilePlaces(
  org: OrganizationConfig,
  accounts: readonly MemberAccount[] | undefined,
  asked?: Place,
): Place[] {
  if (asked) return placeOutOfScope(org, asked) ? [] : [asked];
  const listed = accounts ?? org.accounts.allow.map((id) => ({ id, parents: [] }));
  return placesInScope(org, listed);
}
