import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { describeIssues } from '../../src/validation.ts';
import { readTagSpecifications } from './ec2.ts';
import { ApiError } from './errors.ts';
import { FaultInjector, type Clock } from './faults.ts';
import type { ParsedFaults } from './seed.ts';
import type { Params } from './query.ts';
import { parseSeed, type EmulatorSeed, type SessionSeed } from './seed.ts';
import { Account, type AccountPeers, type SessionRecord, type TargetRecord } from './state.ts';
import { element, text, type Child } from './xml.ts';

/**
 * The local AWS as an organization: several accounts, each in several Regions, behind the one
 * endpoint. A request belongs to the account of its credentials and to the Region of its SigV4
 * credential scope (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html).
 * The base credentials are the central account's; STS AssumeRole hands out credentials of a role in
 * another account when that role's trust policy lets the caller in
 * (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html), and the EC2 calls made
 * with them are held to the role's policy. A target is shared with accounts as RAM does; a member
 * outside an organization must accept the share first
 * (https://docs.aws.amazon.com/vpc/latest/mirroring/cross-account-traffic-mirroring-targets.html).
 */

export const STS_VERSION = '2011-06-15';
export const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

const accountId = z.string().regex(/^\d{12}$/, { message: 'expected a 12-digit account id' });
const region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { message: 'expected a region like us-east-1' });
const values = z.union([z.string(), z.array(z.string())]);

/** An IAM statement as the member template writes it: actions, resources, and the conditions EC2 checks. */
const statementSchema = z
  .object({
    Sid: z.string().optional(),
    Effect: z.enum(['Allow', 'Deny']),
    Action: values,
    Resource: values,
    Condition: z.record(z.string(), z.record(z.string(), values)).optional(),
  })
  .strict();
export type PolicyStatement = z.infer<typeof statementSchema>;

export const organizationSeedSchema = z
  .object({
    /** The principal of the base credentials, in the home account (a central stack's role). */
    callerRoleArn: z
      .string()
      .regex(/^arn:aws:iam::\d{12}:role\/.+$/)
      .optional(),
    /** Accounts and Regions beyond the home one, each with an emulator seed's EC2 state (sessions apart). */
    places: z
      .array(
        z
          .object({
            accountId,
            region,
            seed: z.record(z.string(), z.unknown()).default({}),
            /** Sessions of this place, whose targets may be shared ones (added once every place exists). */
            sessions: z.array(z.record(z.string(), z.unknown())).default([]),
          })
          .strict(),
      )
      .default([]),
    roles: z
      .array(
        z
          .object({
            accountId,
            name: z.string().regex(/^[\w+=,.@-]{1,64}$/),
            /** Who may assume it: principals of this account whose ARN matches (IAM's ArnLike). */
            trust: z.object({ accountId, principalArnLike: z.string().default('*') }).strict(),
            statements: z.array(statementSchema).default([]),
          })
          .strict(),
      )
      .default([]),
    shares: z
      .array(
        z
          .object({
            targetId: z.string().regex(/^tmt-[0-9a-z]+$/),
            region,
            ownerAccountId: accountId,
            accounts: z.array(accountId).min(1),
            /** Within the organization with sharing enabled there is nothing to accept. */
            accepted: z.boolean().default(true),
          })
          .strict(),
      )
      .default([]),
    /**
     * Organizations' view (ListAccounts, ListParents): each account's state and units, nearest first,
     * ending at the root. An account with places but not listed is ACTIVE, directly under the root.
     */
    accounts: z
      .array(
        z
          .object({
            id: accountId,
            state: z.enum(['ACTIVE', 'SUSPENDED', 'PENDING_CLOSURE']).default('ACTIVE'),
            parents: z.array(z.string().regex(/^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$/)).default([]),
          })
          .strict(),
      )
      .default([]),
    /** Whether the home account may read Organizations (its management account or a delegated administrator). */
    organizationsAccess: z.boolean().default(true),
  })
  .strict();
export type OrganizationSeed = z.input<typeof organizationSeedSchema>;

/** The root every emulated organization has (Organizations' root ids are `r-` and 4 to 32 characters). */
export const EMULATED_ROOT = 'r-loca';

/** ListAccounts' most results per page (https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccounts.html). */
export const LIST_ACCOUNTS_MAX_RESULTS = 20;

interface Principal {
  accountId: string;
  /** The role's ARN (what aws:PrincipalArn is for an assumed role). */
  arn: string;
  /** For credentials from AssumeRole: the role whose policy the calls are held to. */
  role?: RoleRecord;
}

interface RoleRecord {
  arn: string;
  accountId: string;
  trust: { accountId: string; principalArnLike: string };
  statements: PolicyStatement[];
}

const BASE_ACCESS_KEY = 'AKIAEMULATOR';

/** IAM's `*` and `?` (ArnLike, StringLike, Resource). */
function like(pattern: string, value: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 's').test(value);
}

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** The request context a statement's conditions read: key -> values (absent: the key is not in the request). */
export type RequestContext = Record<string, string[]>;

/**
 * Whether the conditions hold: every operator, every key (AND); any of a key's values (OR). A key the
 * request lacks fails, except ForAllValues with nothing to check
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html).
 */
function conditionsHold(condition: PolicyStatement['Condition'], context: RequestContext): boolean {
  for (const [operator, keys] of Object.entries(condition ?? {})) {
    for (const [key, wanted] of Object.entries(keys)) {
      const have = context[key];
      const expected = list(wanted);
      const test = operator.replace(/^ForAllValues:/, '');
      const matchOne = (value: string) =>
        expected.some((e) => (test === 'StringEquals' || test === 'ArnEquals' ? e === value : like(e, value)));
      if (!['StringEquals', 'StringLike', 'ArnEquals', 'ArnLike'].includes(test))
        throw new Error(`the emulator does not evaluate the condition operator ${operator}`);
      if (operator.startsWith('ForAllValues:')) {
        if (!(have ?? []).every(matchOne)) return false;
      } else if (!have || !have.some(matchOne)) return false;
    }
  }
  return true;
}

/** IAM's evaluation without boundaries or SCPs: an explicit Deny wins, else an Allow, else denied. */
export function allowed(
  statements: readonly PolicyStatement[],
  action: string,
  resource: string,
  context: RequestContext,
): boolean {
  const applies = (s: PolicyStatement) =>
    list(s.Action).some((a) => like(a.toLowerCase(), action.toLowerCase())) &&
    list(s.Resource).some((r) => like(r, resource)) &&
    conditionsHold(s.Condition, context);
  if (statements.some((s) => s.Effect === 'Deny' && applies(s))) return false;
  return statements.some((s) => s.Effect === 'Allow' && applies(s));
}

/** SigV4's `Credential=<key>/<date>/<region>/<service>/aws4_request`, from the Authorization header. */
export function credentialScope(request: IncomingMessage): { accessKeyId: string; region: string } | undefined {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /Credential=([^/,\s]+)\/\d{8}\/([a-z0-9-]+)\//.exec(header) : null;
  return match ? { accessKeyId: match[1]!, region: match[2]! } : undefined;
}

export class EmulatedOrganization {
  readonly home: Account;
  private readonly places = new Map<string, Account>();
  private readonly roles = new Map<string, RoleRecord>();
  private readonly keys = new Map<string, Principal>();
  private readonly shares: z.infer<typeof organizationSeedSchema>['shares'];
  private readonly accounts: z.infer<typeof organizationSeedSchema>['accounts'];
  private readonly organizationsAccess: boolean;
  /** Faults of one account and Region's EC2, in place of the emulator's own (EC2 throttles per account and Region). */
  private readonly placeFaults = new Map<string, FaultInjector>();
  private readonly clock: Clock;
  private readonly base: Principal;

  constructor(home: Account, seed: OrganizationSeed, clock: Clock) {
    const parsed = organizationSeedSchema.safeParse(seed);
    if (!parsed.success) throw new Error(`organization seed: ${describeIssues(parsed.error)}`);
    const org = parsed.data;
    this.home = home;
    this.clock = clock;
    this.shares = org.shares;
    this.accounts = org.accounts;
    this.organizationsAccess = org.organizationsAccess;
    this.base = {
      accountId: home.accountId,
      arn: org.callerRoleArn ?? `arn:aws:iam::${home.accountId}:role/autotap-local`,
    };
    this.keys.set(BASE_ACCESS_KEY, this.base);
    this.places.set(placeKey(home.accountId, home.region), home);
    this.link(home);
    for (const place of org.places) {
      const account = new Account(
        parseSeed({ ...place.seed, accountId: place.accountId, region: place.region }),
        clock,
      );
      this.places.set(placeKey(place.accountId, place.region), account);
      this.link(account);
    }
    for (const place of org.places)
      for (const session of place.sessions)
        this.placeOf(place.accountId, place.region).addSession(session as SessionSeed);
    for (const role of org.roles) {
      const arn = `arn:aws:iam::${role.accountId}:role/${role.name}`;
      this.roles.set(arn, { arn, accountId: role.accountId, trust: role.trust, statements: role.statements });
    }
  }

  /** The account's state in a Region: a Region it has nothing in is an empty one, as in AWS. */
  placeOf(account: string, regionName: string): Account {
    const key = placeKey(account, regionName);
    let place = this.places.get(key);
    if (!place) {
      place = new Account(parseSeed({ accountId: account, region: regionName } satisfies EmulatorSeed), this.clock);
      this.link(place);
      this.places.set(key, place);
    }
    return place;
  }

  /**
   * Gives one account and Region faults of its own, e.g. a throttled member: EC2 meters its request
   * rate per account and Region (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html).
   */
  setPlaceFaults(account: string, regionName: string, faults: ParsedFaults): void {
    this.placeFaults.set(placeKey(account, regionName), new FaultInjector(faults, this.clock));
  }

  /** The faults of a place that has its own. */
  faultsOf(account: Account): FaultInjector | undefined {
    return this.placeFaults.get(placeKey(account.accountId, account.region));
  }

  /** Every account and Region with state. */
  allPlaces(): Account[] {
    return [...this.places.values()];
  }

  /** Revokes (or restores) a target's share with an account, as deleting it from the resource share would. */
  setShared(targetId: string, account: string, shared: boolean): void {
    for (const share of this.shares.filter((s) => s.targetId === targetId)) {
      share.accounts = shared
        ? [...new Set([...share.accounts, account])]
        : share.accounts.filter((a) => a !== account);
    }
  }

  /** Removes a member's role, as a member whose StackSet instance is gone would be. */
  deleteRole(account: string, name: string): void {
    this.roles.delete(`arn:aws:iam::${account}:role/${name}`);
  }

  private link(account: Account): void {
    const peers: AccountPeers = {
      sharedTargets: () =>
        this.shares
          .filter((s) => s.region === account.region && s.accepted && s.accounts.includes(account.accountId))
          .flatMap((s) => {
            const target = this.places.get(placeKey(s.ownerAccountId, s.region))?.targets.get(s.targetId);
            return target ? [{ target, ownerId: s.ownerAccountId }] : [];
          }),
      sessionsElsewhereOn: (targetId) =>
        [...this.places.values()]
          .filter((p) => p !== account && p.region === account.region)
          .flatMap((p) =>
            [...p.sessions.values()]
              .filter((s) => s.targetId === targetId)
              .map((session) => ({ session, ownerId: p.accountId })),
          ),
    };
    account.peers = peers;
  }

  /** Who makes the request, and the account and Region it acts in. */
  principalOf(request: IncomingMessage): { principal: Principal; account: Account } {
    const scope = credentialScope(request);
    const principal = (scope && this.keys.get(scope.accessKeyId)) ?? this.base;
    if (scope && !this.keys.has(scope.accessKeyId) && scope.accessKeyId.startsWith('ASIA'))
      throw new ApiError('ExpiredToken', 'The security token included in the request is expired', 400);
    return { principal, account: this.placeOf(principal.accountId, scope?.region ?? this.home.region) };
  }

  /** Organizations' accounts: the listed ones, then every other account that has a place, each ACTIVE under the root. */
  private organizationAccounts(): { id: string; state: string; parents: string[] }[] {
    const listed = new Map(this.accounts.map((a) => [a.id, { ...a, parents: [...a.parents] }]));
    for (const place of this.places.values())
      if (!listed.has(place.accountId))
        listed.set(place.accountId, { id: place.accountId, state: 'ACTIVE', parents: [] });
    return [...listed.values()].map((a) => ({
      ...a,
      parents: a.parents.at(-1)?.startsWith('r-') ? a.parents : [...a.parents, EMULATED_ROOT],
    }));
  }

  /**
   * Organizations (JSON 1.1, `AWSOrganizationsV20161128`): ListAccounts and ListParents, for the
   * home account when it may read them (the management account or a delegated administrator,
   * https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccounts.html), and a
   * caller in another account never.
   */
  answerOrganizations(
    request: IncomingMessage,
    action: string,
    input: Record<string, unknown>,
  ): Record<string, unknown> {
    const { principal } = this.principalOf(request);
    if (!this.organizationsAccess || principal.accountId !== this.home.accountId)
      throw new ApiError('AccessDeniedException', "You don't have permissions to access this resource.", 400);
    const accounts = this.organizationAccounts();
    if (action === 'ListAccounts') {
      const max = input.MaxResults === undefined ? LIST_ACCOUNTS_MAX_RESULTS : Number(input.MaxResults);
      if (!Number.isInteger(max) || max < 1 || max > LIST_ACCOUNTS_MAX_RESULTS)
        throw new ApiError('InvalidInputException', `MaxResults must be 1 to ${LIST_ACCOUNTS_MAX_RESULTS}`, 400);
      const start = typeof input.NextToken === 'string' ? Number(input.NextToken) : 0;
      if (!Number.isInteger(start) || start < 0 || start > accounts.length)
        throw new ApiError('InvalidInputException', 'The NextToken is not valid', 400);
      const page = accounts.slice(start, start + max);
      return {
        Accounts: page.map((a) => ({
          Id: a.id,
          Arn: `arn:aws:organizations::${this.home.accountId}:account/o-emulated00/${a.id}`,
          Name: `account ${a.id}`,
          // Status is the older field; State replaces it (both are in the API reference's Account).
          Status: a.state === 'ACTIVE' ? 'ACTIVE' : a.state === 'SUSPENDED' ? 'SUSPENDED' : 'PENDING_CLOSURE',
          State: a.state,
        })),
        ...(start + max < accounts.length ? { NextToken: String(start + max) } : {}),
      };
    }
    if (action === 'ListParents') {
      const child = typeof input.ChildId === 'string' ? input.ChildId : '';
      const chainOf = accounts.find((a) => a.id === child)?.parents;
      // A unit's parent is the next one up any account's chain.
      const unitChain = accounts.map((a) => a.parents).find((chain) => chain.includes(child));
      const parent = chainOf ? chainOf[0] : unitChain ? unitChain[unitChain.indexOf(child) + 1] : undefined;
      if (!parent)
        throw new ApiError(
          'ChildNotFoundException',
          `We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.`,
          400,
        );
      return { Parents: [{ Id: parent, Type: parent.startsWith('r-') ? 'ROOT' : 'ORGANIZATIONAL_UNIT' }] };
    }
    throw new ApiError('UnknownOperationException', `The action ${action} is not valid for this endpoint.`, 400);
  }

  /** STS AssumeRole: the role must exist and trust the caller; its credentials act as the role. */
  assumeRole(request: IncomingMessage, params: Params): Child[] {
    const { principal } = this.principalOf(request);
    const roleArn = params.get('RoleArn');
    const sessionName = params.get('RoleSessionName');
    if (!roleArn) throw new ApiError('MissingParameter', 'The request must contain the parameter RoleArn');
    if (!sessionName || !/^[\w+=,.@-]{2,64}$/.test(sessionName))
      throw new ApiError('ValidationError', 'RoleSessionName must be 2-64 characters of letters, digits and +=,.@_-');
    const role = this.roles.get(roleArn);
    // AssumeRole answers a missing role and one that does not trust the caller the same way: AccessDenied.
    if (!role || role.trust.accountId !== principal.accountId || !like(role.trust.principalArnLike, principal.arn))
      throw new ApiError(
        'AccessDenied',
        `User: ${principal.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
        403,
      );
    const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
    this.keys.set(accessKeyId, { accountId: role.accountId, arn: role.arn, role });
    const expiration = new Date(this.clock() + Number(params.get('DurationSeconds') ?? 3600) * 1000).toISOString();
    return [
      element('Credentials', [
        text('AccessKeyId', accessKeyId),
        text('SecretAccessKey', randomBytes(20).toString('hex')),
        text('SessionToken', randomBytes(32).toString('base64')),
        text('Expiration', expiration),
      ]),
      element('AssumedRoleUser', [
        text('AssumedRoleId', `AROA${randomBytes(8).toString('hex').toUpperCase()}:${sessionName}`),
        text('Arn', `arn:aws:sts::${role.accountId}:assumed-role/${role.arn.split('/').pop()}/${sessionName}`),
      ]),
    ];
  }

  /**
   * Holds an EC2 call made with a role's credentials to the role's policy: the session actions on
   * each resource they are authorized on, with the condition keys the Service Authorization Reference
   * lists for them (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html).
   * Calls with the base credentials are not checked, as before the organization existed.
   */
  authorize(principal: Principal, account: Account, action: string, params: Params): void {
    const role = principal.role;
    if (!role) return;
    const arn = (resource: string, owner = account.accountId) => `arn:aws:ec2:${account.region}:${owner}:${resource}`;
    const checks: { resource: string; context: RequestContext; action?: string }[] = [];
    const sessionContext = (session: SessionRecord | undefined): RequestContext =>
      Object.fromEntries(Object.entries(session?.tags ?? {}).map(([k, v]) => [`aws:ResourceTag/${k}`, [v]]));
    const targetArn = (id: string) =>
      arn(`traffic-mirror-target/${id}`, account.visibleTarget(id)?.ownerId ?? account.accountId);
    if (action === 'CreateTrafficMirrorSession') {
      const eniId = params.get('NetworkInterfaceId') ?? '';
      const eni = account.networkInterfaces.get(eniId);
      const tags = readTagSpecifications(params, 'traffic-mirror-session');
      const requestTags: RequestContext = Object.fromEntries(
        Object.entries(tags).map(([k, v]) => [`aws:RequestTag/${k}`, [v]]),
      );
      const tagKeys = { 'aws:TagKeys': Object.keys(tags) };
      checks.push(
        {
          resource: arn(`network-interface/${eniId}`),
          context: eni ? { 'ec2:Vpc': [arn(`vpc/${eni.vpcId}`)], 'ec2:Subnet': [arn(`subnet/${eni.subnetId}`)] } : {},
        },
        { resource: arn(`traffic-mirror-filter/${params.get('TrafficMirrorFilterId') ?? ''}`), context: {} },
        { resource: targetArn(params.get('TrafficMirrorTargetId') ?? ''), context: {} },
        { resource: arn('traffic-mirror-session/*'), context: { ...requestTags, ...tagKeys } },
      );
      if (Object.keys(tags).length > 0)
        checks.push({
          action: 'CreateTags',
          resource: arn('traffic-mirror-session/*'),
          context: { ...requestTags, ...tagKeys, 'ec2:CreateAction': ['CreateTrafficMirrorSession'] },
        });
    } else if (action === 'DeleteTrafficMirrorSession' || action === 'ModifyTrafficMirrorSession') {
      const id = params.get('TrafficMirrorSessionId') ?? '';
      checks.push({ resource: arn(`traffic-mirror-session/${id}`), context: sessionContext(account.sessions.get(id)) });
      const target = params.get('TrafficMirrorTargetId');
      if (action === 'ModifyTrafficMirrorSession' && target) checks.push({ resource: targetArn(target), context: {} });
      const filter = params.get('TrafficMirrorFilterId');
      if (action === 'ModifyTrafficMirrorSession' && filter)
        checks.push({ resource: arn(`traffic-mirror-filter/${filter}`), context: {} });
    } else if (action.startsWith('Describe')) {
      checks.push({ resource: '*', context: {} });
    } else {
      checks.push({ resource: '*', context: {} });
    }
    for (const check of checks) {
      const what = `ec2:${check.action ?? action}`;
      if (!allowed(role.statements, what, check.resource, check.context))
        throw new ApiError(
          'UnauthorizedOperation',
          `You are not authorized to perform this operation. User: ${principal.arn} is not authorized to perform: ${what} on resource: ${check.resource}`,
          403,
        );
    }
  }
}

const placeKey = (account: string, regionName: string) => `${account}/${regionName}`;

export type { TargetRecord };
