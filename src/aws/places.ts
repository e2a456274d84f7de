import { EC2Client } from '@aws-sdk/client-ec2';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { MirroringConfig, OrganizationConfig } from '../config/schema.ts';
import { AwsRefusal, MemberRoleUnavailable } from '../mirroring/errors.ts';
import { FILTER_TAG } from '../mirroring/types.ts';
import { mirroringForAccount } from '../organization/scope.ts';
import { describeThrown } from '../thrown.ts';
import type { Session, SessionChange } from '../mirroring/types.ts';
import {
  createSession,
  deleteSession,
  describeAllManagedSessions,
  describeAllSessions,
  describeLiveInstances,
  describeServiceInterfaces,
  describeSession,
  describeSessionsOfInstance,
  modifySession,
  describeInstances,
  describeInterfaceStandings,
  describeSessionsOfInterfaces,
  describeSessionsOfTargets,
  describeTargets,
  ec2Client,
  findTaggedFilter,
  TARGETS_CACHE_MS,
} from './ec2.ts';
import { countThrottles } from './throttles.ts';

/**
 * The EC2 client of the account and Region a workflow acts in. Without an organization, or in the
 * central account's own Region, it is the function's own client. In a member account it signs with
 * the member role's credentials (STS AssumeRole, refreshed before they expire); in another Region it
 * signs for that Region, which is what tells the account's Regions apart.
 */

export interface Place {
  accountId: string;
  region: string;
}

const clients = new Map<string, { endpoint: string | undefined; client: EC2Client }>();

/** The partition of a Region's ARNs (aws-cn in China, aws-us-gov in GovCloud). */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

export function memberRoleArn(org: OrganizationConfig, place: Place): string {
  // One role per Region: the member template names it after its Region (deploy/member-template.ts).
  return `arn:${partitionOf(place.region)}:iam::${place.accountId}:role/${org.memberRoleName}-${place.region}`;
}

/** The place an execution acts in: an event's or a request's, when the stack serves an organization. */
export function actingPlace(place: Place | null | undefined, org: OrganizationConfig | undefined): Place | undefined {
  return org && place ? place : undefined;
}

/** The central account in the stack's own Region: where records without a place are. */
export function homePlace(org: OrganizationConfig | undefined): Place | undefined {
  const region = process.env.AWS_REGION;
  return org && region ? { accountId: org.centralAccountId, region } : undefined;
}

export function ec2ClientIn(place: Place | undefined, org: OrganizationConfig | undefined): EC2Client {
  const home = process.env.AWS_REGION;
  if (!place || !org || (place.accountId === org.centralAccountId && place.region === home)) return ec2Client();
  const endpoint = process.env.AWS_ENDPOINT_URL_EC2 ?? process.env.AWS_ENDPOINT_URL;
  const key = `${place.accountId}/${place.region}`;
  const cached = clients.get(key);
  if (cached && cached.endpoint === endpoint) return cached.client;
  const member = place.accountId !== org.centralAccountId;
  const roleArn = memberRoleArn(org, place);
  const assumed = member
    ? fromTemporaryCredentials({
        params: { RoleArn: roleArn, RoleSessionName: `autotap-${process.env.AUTOTAP_STAGE ?? 'central'}` },
        ...(home ? { clientConfig: { region: home } } : {}),
      })
    : undefined;
  const client = countThrottles(
    new EC2Client({
      region: place.region,
      ...(assumed
        ? {
            credentials: async () => {
              try {
                return await assumed();
              } catch (error) {
                const { name, message } = describeThrown(error);
                throw new MemberRoleUnavailable(roleArn, place.accountId, place.region, `${name}: ${message}`);
              }
            },
          }
        : {}),
    }),
    'ec2',
  );
  clients.set(key, { endpoint, client });
  return client;
}

/**
 * The EC2 calls of a workflow, made in one account and Region. In a member account the sessions on
 * a target are also asked of the central account: a target's owner sees every account's sessions
 * on it, a member only its own (cross-account targets page), and a target's load is all of them.
 */
export function ec2In(client: EC2Client, place?: Place, org?: OrganizationConfig) {
  const member = place !== undefined && org !== undefined && place.accountId !== org.centralAccountId;
  const sessionsOfTargets = async (ids: readonly string[]): Promise<Session[]> => {
    const own = await describeSessionsOfTargets(ids, client);
    if (!member || ids.length === 0) return own;
    const seen = await describeSessionsOfTargets(
      ids,
      ec2ClientIn({ accountId: org.centralAccountId, region: place.region }, org),
    );
    return [...new Map([...own, ...seen].map((s) => [s.trafficMirrorSessionId, s])).values()];
  };
  return {
    describeInstances: (ids: readonly string[]) => describeInstances(ids, client),
    describeInterfaceStandings: (ids: readonly string[]) => describeInterfaceStandings(ids, client),
    describeSessionsOfInterfaces: (ids: readonly string[]) => describeSessionsOfInterfaces(ids, client),
    describeSessionsOfTargets: sessionsOfTargets,
    describeSessionsOfInstance: (instanceId: string) => describeSessionsOfInstance(instanceId, client),
    describeAllManagedSessions: () => describeAllManagedSessions(client),
    describeAllSessions: () => describeAllSessions(client),
    describeLiveInstances: (vpcIds: readonly string[]) => describeLiveInstances(vpcIds, client),
    describeServiceInterfaces: (vpcIds: readonly string[]) => describeServiceInterfaces(vpcIds, client),
    describeSession: (id: string) => describeSession(id, client),
    describeTargets: () => describeTargets(client),
    createSession: (request: Parameters<typeof createSession>[0]) => createSession(request, client),
    deleteSession: (id: string) => deleteSession(id, client),
    modifySession: (id: string, change: SessionChange) => modifySession(id, change, client),
  };
}

/**
 * A member's filter changes as rarely as targets do, and every execution in that member needs it: a
 * warm container reuses its lookup for as long as it reuses the targets' (TARGETS_CACHE_MS). A
 * failed lookup, or a member without the filter, is asked again the next time.
 */
const memberFilters = new Map<string, { at: number; filterId: Promise<string | undefined> }>();

function memberFilterOf(place: Place, stage: string, client: EC2Client, now = Date.now()): Promise<string | undefined> {
  const endpoint = process.env.AWS_ENDPOINT_URL_EC2 ?? process.env.AWS_ENDPOINT_URL ?? '';
  const key = `${endpoint} ${place.accountId}/${place.region}/${stage}`;
  const cached = memberFilters.get(key);
  if (cached && now - cached.at < TARGETS_CACHE_MS) return cached.filterId;
  const filterId = findTaggedFilter(FILTER_TAG, stage, client).then((id) => {
    if (id === undefined) memberFilters.delete(key);
    return id;
  });
  filterId.catch(() => memberFilters.delete(key));
  memberFilters.set(key, { at: now, filterId });
  return filterId;
}

/**
 * The mirroring section as it applies where the execution acts: the account's override, and in a
 * member the member's filter (its override's, else the one the member template tagged for this stage;
 * a filter cannot be shared across accounts).
 */
export async function mirroringIn(
  mirroring: MirroringConfig,
  place: Place | undefined,
  org: OrganizationConfig | undefined,
  client: EC2Client,
  stage = process.env.AUTOTAP_STAGE ?? 'dev',
): Promise<MirroringConfig> {
  if (!place || !org || place.accountId === org.centralAccountId) return mirroring;
  const own = mirroringForAccount(mirroring, org, place.accountId);
  if (org.members[place.accountId]?.filterId) return own;
  const filterId = await memberFilterOf(place, stage, client);
  if (!filterId)
    throw new AwsRefusal(
      'MemberFilterMissing',
      `account ${place.accountId} (${place.region}) has no traffic mirror filter tagged ${FILTER_TAG}=${stage}: ` +
        `deploy the member template there, or give organization.members.${place.accountId}.filterId`,
      'member-filter-missing',
    );
  return { ...own, filterId };
}
