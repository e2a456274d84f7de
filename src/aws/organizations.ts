import { ListParentsCommand, OrganizationsClient, paginateListAccounts } from '@aws-sdk/client-organizations';
import { AwsRefusal } from '../mirroring/errors.ts';
import type { MemberAccount } from '../organization/scope.ts';
import { forEachWithLimit } from '../parallel.ts';
import { awsCall } from './errors.ts';
import { countThrottles } from './throttles.ts';

/**
 * The organization's accounts as Organizations lists them. Only its management account or a
 * delegated administrator may ask (API_ListAccounts); the central account is one when it
 * administers the member StackSet, which the organization deployment needs anyway.
 */

let shared: { endpoint: string | undefined; client: OrganizationsClient } | undefined;

function organizationsClient(): OrganizationsClient {
  const endpoint = process.env.AWS_ENDPOINT_URL_ORGANIZATIONS ?? process.env.AWS_ENDPOINT_URL;
  // Organizations has one endpoint, in us-east-1 (https://docs.aws.amazon.com/general/latest/gr/ao.html).
  if (!shared || shared.endpoint !== endpoint)
    shared = { endpoint, client: countThrottles(new OrganizationsClient({ region: 'us-east-1' }), 'organizations') };
  return shared.client;
}

/** ListAccounts' largest page (API reference: MaxResults, 1 to 20). */
const ACCOUNTS_PER_PAGE = 20;

/** ListParents calls in flight: Organizations allows a handful of requests per second per account. */
const PARENT_LOOKUPS = 4;

const refused = (code: string, message: string) =>
  code === 'AccessDeniedException' || code === 'AWSOrganizationsNotInUseException'
    ? new AwsRefusal(
        'OrganizationsUnavailable',
        `${message}. Run autotap in the organization's management account or in a delegated administrator ` +
          '(the StackSet administrator account is one), or list the accounts in organization.accounts.allow',
        'organizations-unavailable',
      )
    : undefined;

/**
 * Every account of the organization, with its units when `withUnits` (ListParents up to the root,
 * each unit asked once): only allow or deny lists of units need them.
 */
export async function describeOrganizationAccounts(withUnits: boolean): Promise<MemberAccount[]> {
  const client = organizationsClient();
  const listed = await awsCall(
    'Organizations ListAccounts',
    async () => {
      const found: { id: string; state: MemberAccount['state'] }[] = [];
      for await (const page of paginateListAccounts({ client, pageSize: ACCOUNTS_PER_PAGE }, {}))
        for (const a of page.Accounts ?? []) if (a.Id) found.push({ id: a.Id, state: stateOf(a.State ?? a.Status) });
      return found;
    },
    refused,
  );
  if (!withUnits) return listed.map((a) => ({ ...a, parents: [] }));
  const parentOf = new Map<string, Promise<string | undefined>>();
  const parent = (childId: string) => {
    let known = parentOf.get(childId);
    if (!known) {
      known = awsCall(
        'Organizations ListParents',
        async () => (await client.send(new ListParentsCommand({ ChildId: childId }))).Parents?.[0]?.Id,
        refused,
      );
      parentOf.set(childId, known);
    }
    return known;
  };
  const accounts: MemberAccount[] = new Array<MemberAccount>(listed.length);
  await forEachWithLimit(listed, PARENT_LOOKUPS, async (account, index) => {
    const parents: string[] = [];
    for (let at = await parent(account.id); at; at = at.startsWith('r-') ? undefined : await parent(at))
      parents.push(at);
    accounts[index] = { ...account, parents };
  });
  return accounts;
}

function stateOf(value: string | undefined): MemberAccount['state'] {
  if (value === 'SUSPENDED' || value === 'PENDING_CLOSURE') return value;
  // Organizations' older Status says ACTIVE, or SUSPENDED / PENDING_CLOSURE as above; CLOSED is never mirrored.
  return value === 'ACTIVE' || value === undefined ? 'ACTIVE' : 'SUSPENDED';
}
