import {
  EC2Client,
  CreateTrafficMirrorSessionCommand,
  DeleteTrafficMirrorSessionCommand,
  ModifyTrafficMirrorSessionCommand,
  DescribeTrafficMirrorFiltersCommand,
  paginateDescribeInstances,
  paginateDescribeSecurityGroups,
  paginateDescribeVpcs,
  paginateDescribeNetworkInterfaces,
  paginateDescribeTrafficMirrorSessions,
  paginateDescribeTrafficMirrorFilters,
  paginateDescribeTrafficMirrorTargets,
  type Filter,
  type Instance as Ec2Instance,
  type NetworkInterface,
  type Tag,
  type TrafficMirrorFilterRule,
  type TrafficMirrorSession,
  type TrafficMirrorTarget,
} from '@aws-sdk/client-ec2';
import type { FilterFacts, SecurityGroupFacts, TargetFacts, TargetInterfaceFacts, VpcFacts } from '../doctor/facts.ts';
import { permitted } from './permissions.ts';
import {
  AwsRefusal,
  DryRunPassed,
  MirrorResourceNotFound,
  RetryableError,
  SessionNotFound,
  SessionNumberRejected,
  SourceNotMirrorable,
  TargetFull,
} from '../mirroring/errors.ts';
import {
  INSTANCE_TAG,
  isManagedSession,
  type CreateSessionRequest,
  type Instance,
  type Session,
  type SessionChange,
  type SkipReason,
  type Tags,
  type Target,
  type TargetKind,
} from '../mirroring/types.ts';
import { awsCall, domainErrorOf, type KnownCodes } from './errors.ts';
import { serviceSource } from '../mirroring/service-sources.ts';
import { countThrottles } from './throttles.ts';

/**
 * EC2's codes that mean something to autotap (EC2 models no typed errors: the SDK names the error
 * after the code). Codes and spellings: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
 */
const NOT_VISIBLE = new Set(['InvalidNetworkInterfaceID.NotFound', 'InvalidInstanceID.NotFound']);
const NOT_MIRRORABLE: Record<string, SkipReason> = {
  NetworkInterfaceNotSupported: 'unsupported',
  TrafficMirrorSessionsPerInterfaceLimitExceeded: 'session-limit',
  InterfaceInUseByTrafficMirrorTarget: 'is-mirror-target',
  InterfaceInUseByTrafficMirrorSession: 'is-mirror-target',
};
const TARGET_FULL = new Set([
  'TrafficMirrorSourcesPerTargetLimitExceeded',
  'TrafficMirrorSessionsPerTargetLimitExceeded',
]);
// Both spellings: as AWS's error-code reference spells them, and as they are also seen in the wild.
const SESSION_NOT_FOUND = new Set(['InvalidTrafficMirrorSessionId.NotFound', 'InvalidTrafficMirrorSessionNotFound']);
const RESOURCE_NOT_FOUND: Record<string, 'filter-not-found' | 'target-not-found'> = {
  InvalidTrafficMirrorTargetNoFound: 'target-not-found',
  'InvalidTrafficMirrorTargetId.NotFound': 'target-not-found',
  InvalidTrafficMirrorFilterNotFound: 'filter-not-found',
  'InvalidTrafficMirrorFilterId.NotFound': 'filter-not-found',
};
/** Permanent refusals autotap names in its reports. */
const REFUSAL_REASONS: Record<string, string> = {
  TrafficMirrorSessionLimitExceeded: 'account-session-limit',
  IdempotentParameterMismatch: 'idempotent-parameter-mismatch',
  UnauthorizedOperation: 'unauthorized',
};

const ec2Codes: KnownCodes = (code, message) => {
  if (NOT_VISIBLE.has(code)) return new RetryableError('NotYetVisible', message, code);
  if (code === 'DryRunOperation') return new DryRunPassed(code, message);
  const skip = NOT_MIRRORABLE[code];
  if (skip) return new SourceNotMirrorable(code, message, skip);
  if (TARGET_FULL.has(code)) return new TargetFull(code, message);
  if (code === 'InvalidParameterValue') return new SessionNumberRejected(code, message);
  if (SESSION_NOT_FOUND.has(code)) return new SessionNotFound(code, message);
  const missing = RESOURCE_NOT_FOUND[code];
  if (missing) return new MirrorResourceNotFound(code, message, missing);
  const reason = REFUSAL_REASONS[code];
  return reason ? new AwsRefusal(code, message, reason) : undefined;
};

/** The domain error for what an EC2 call threw (exported for its tests). */
export function ec2DomainError(error: unknown, operation: string): Error {
  return domainErrorOf(error, operation, ec2Codes);
}

const ec2Call = <T>(operation: string, call: () => Promise<T>): Promise<T> => awsCall(operation, call, ec2Codes);

/** EC2 accepts at most 200 values in one filter. */
const FILTER_VALUES_PER_CALL = 200;
const PAGE_SIZE = 1000;

let shared: { endpoint: string | undefined; client: EC2Client } | undefined;
/**
 * One client per Lambda container; region and endpoint come from the standard AWS_* variables (a new
 * client only if the endpoint variable changes, as it does between local runs).
 */
export function ec2Client(): EC2Client {
  const endpoint = process.env.AWS_ENDPOINT_URL_EC2 ?? process.env.AWS_ENDPOINT_URL;
  // Retry mode and attempts come from AWS_RETRY_MODE / AWS_MAX_ATTEMPTS (the stack sets adaptive).
  if (!shared || shared.endpoint !== endpoint) shared = { endpoint, client: countThrottles(new EC2Client({}), 'ec2') };
  return shared.client;
}

function tagsOf(tags: Tag[] | undefined): Tags {
  return Object.fromEntries((tags ?? []).flatMap((t) => (t.Key ? [[t.Key, t.Value ?? '']] : [])));
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function toInstance(i: Ec2Instance): Instance {
  return {
    instanceId: i.InstanceId ?? '',
    instanceType: i.InstanceType ?? '',
    state: i.State?.Name ?? 'unknown',
    availabilityZone: i.Placement?.AvailabilityZone ?? '',
    ...(i.VpcId ? { vpcId: i.VpcId } : {}),
    ...(i.SubnetId ? { subnetId: i.SubnetId } : {}),
    ...(i.LaunchTime ? { launchTime: new Date(i.LaunchTime).toISOString() } : {}),
    tags: tagsOf(i.Tags),
    networkInterfaces: (i.NetworkInterfaces ?? []).map((n) => ({
      networkInterfaceId: n.NetworkInterfaceId ?? '',
      interfaceType: n.InterfaceType ?? 'interface',
      deviceIndex: n.Attachment?.DeviceIndex ?? 0,
      ...(n.SubnetId ? { subnetId: n.SubnetId } : {}),
      ...(n.VpcId ? { vpcId: n.VpcId } : {}),
    })),
  };
}

/**
 * Instances by id. A filter rather than InstanceIds: an id EC2 does not know yet (eventual
 * consistency) is then simply absent instead of failing the whole call.
 */
export function describeInstances(instanceIds: readonly string[], client = ec2Client()): Promise<Instance[]> {
  return ec2Call('DescribeInstances', async () => {
    const found: Instance[] = [];
    for (const ids of chunks(instanceIds, FILTER_VALUES_PER_CALL)) {
      const pages = paginateDescribeInstances(
        { client, pageSize: PAGE_SIZE },
        { Filters: [{ Name: 'instance-id', Values: ids }], MaxResults: PAGE_SIZE },
      );
      for await (const page of pages) {
        for (const r of page.Reservations ?? []) for (const i of r.Instances ?? []) found.push(toInstance(i));
      }
    }
    return found;
  });
}

function toSession(s: TrafficMirrorSession): Session {
  return {
    trafficMirrorSessionId: s.TrafficMirrorSessionId ?? '',
    networkInterfaceId: s.NetworkInterfaceId ?? '',
    trafficMirrorTargetId: s.TrafficMirrorTargetId ?? '',
    trafficMirrorFilterId: s.TrafficMirrorFilterId ?? '',
    sessionNumber: s.SessionNumber ?? 0,
    packetLength: s.PacketLength ?? null,
    ...(s.VirtualNetworkId !== undefined ? { virtualNetworkId: s.VirtualNetworkId } : {}),
    ...(s.OwnerId ? { ownerId: s.OwnerId } : {}),
    tags: tagsOf(s.Tags),
  };
}

function describeSessionsBy(filterName: string, values: readonly string[], client: EC2Client): Promise<Session[]> {
  return ec2Call('DescribeTrafficMirrorSessions', async () => {
    const found: Session[] = [];
    for (const chunk of chunks(values, FILTER_VALUES_PER_CALL)) {
      const filters: Filter[] = [{ Name: filterName, Values: chunk }];
      const pages = paginateDescribeTrafficMirrorSessions(
        { client, pageSize: PAGE_SIZE },
        { Filters: filters, MaxResults: PAGE_SIZE },
      );
      for await (const page of pages) found.push(...(page.TrafficMirrorSessions ?? []).map(toSession));
    }
    return found;
  });
}

export function describeSessionsOfInterfaces(
  networkInterfaceIds: readonly string[],
  client = ec2Client(),
): Promise<Session[]> {
  return describeSessionsBy('network-interface-id', networkInterfaceIds, client);
}

/** One session by its id; undefined when EC2 shows none. */
export async function describeSession(
  trafficMirrorSessionId: string,
  client = ec2Client(),
): Promise<Session | undefined> {
  return (await describeSessionsBy('traffic-mirror-session-id', [trafficMirrorSessionId], client))[0];
}

export function describeSessionsOfTargets(targetIds: readonly string[], client = ec2Client()): Promise<Session[]> {
  return describeSessionsBy('traffic-mirror-target-id', targetIds, client);
}

const KINDS: Record<string, TargetKind> = {
  'network-interface': 'network-interface',
  'network-load-balancer': 'network-load-balancer',
  'gateway-load-balancer-endpoint': 'gateway-load-balancer-endpoint',
};

function toTarget(t: TrafficMirrorTarget): Target {
  return {
    trafficMirrorTargetId: t.TrafficMirrorTargetId ?? '',
    kind: KINDS[t.Type ?? ''] ?? 'network-interface',
    ...(t.NetworkInterfaceId ? { networkInterfaceId: t.NetworkInterfaceId } : {}),
    ...(t.OwnerId ? { ownerId: t.OwnerId } : {}),
    tags: tagsOf(t.Tags),
  };
}

/**
 * Targets change rarely and every execution needs them: a warm container reuses its last answer for
 * this long, which takes one describe per execution off EC2's throttled describe bucket in a burst.
 */
export const TARGETS_CACHE_MS = 60_000;
let cachedTargets: { client: EC2Client; at: number; targets: Promise<Target[]> } | undefined;

/**
 * Every mirror target of the account: autotap needs all of them to refuse their ENIs as sources.
 * Concurrent callers share one request in flight; a failed one is not kept.
 */
export function describeTargets(client = ec2Client(), now = Date.now()): Promise<Target[]> {
  if (cachedTargets && cachedTargets.client === client && now - cachedTargets.at < TARGETS_CACHE_MS)
    return cachedTargets.targets;
  const targets = ec2Call('DescribeTrafficMirrorTargets', async () => {
    const found: Target[] = [];
    const pages = paginateDescribeTrafficMirrorTargets({ client, pageSize: PAGE_SIZE }, { MaxResults: PAGE_SIZE });
    for await (const page of pages) found.push(...(page.TrafficMirrorTargets ?? []).map(toTarget));
    return found;
  });
  const entry = { client, at: now, targets };
  cachedTargets = entry;
  targets.catch(() => {
    if (cachedTargets === entry) cachedTargets = undefined;
  });
  return targets;
}

export async function createSession(request: CreateSessionRequest, client = ec2Client()): Promise<Session> {
  const out = await ec2Call('CreateTrafficMirrorSession', () =>
    client.send(
      new CreateTrafficMirrorSessionCommand({
        NetworkInterfaceId: request.networkInterfaceId,
        TrafficMirrorTargetId: request.trafficMirrorTargetId,
        TrafficMirrorFilterId: request.trafficMirrorFilterId,
        SessionNumber: request.sessionNumber,
        ...(request.packetLength !== null ? { PacketLength: request.packetLength } : {}),
        ...(request.virtualNetworkId !== null ? { VirtualNetworkId: request.virtualNetworkId } : {}),
        Description: request.description,
        TagSpecifications: [
          {
            ResourceType: 'traffic-mirror-session',
            Tags: Object.entries(request.tags).map(([Key, Value]) => ({ Key, Value })),
          },
        ],
        ClientToken: request.clientToken,
        DryRun: request.dryRun,
      }),
    ),
  );
  if (!out.TrafficMirrorSession) throw new Error('CreateTrafficMirrorSession returned no session');
  return toSession(out.TrafficMirrorSession);
}

export async function deleteSession(trafficMirrorSessionId: string, client = ec2Client()): Promise<void> {
  await ec2Call('DeleteTrafficMirrorSession', () =>
    client.send(new DeleteTrafficMirrorSessionCommand({ TrafficMirrorSessionId: trafficMirrorSessionId })),
  );
}

export async function modifySession(
  trafficMirrorSessionId: string,
  change: SessionChange,
  client = ec2Client(),
): Promise<Session> {
  const out = await ec2Call('ModifyTrafficMirrorSession', () =>
    client.send(
      new ModifyTrafficMirrorSessionCommand({
        TrafficMirrorSessionId: trafficMirrorSessionId,
        ...(change.trafficMirrorTargetId ? { TrafficMirrorTargetId: change.trafficMirrorTargetId } : {}),
        ...(change.trafficMirrorFilterId ? { TrafficMirrorFilterId: change.trafficMirrorFilterId } : {}),
        ...(change.sessionNumber ? { SessionNumber: change.sessionNumber } : {}),
        ...(typeof change.packetLength === 'number' ? { PacketLength: change.packetLength } : {}),
        // Back to whole packets: EC2 removes a field only when asked to by name.
        ...(change.packetLength === null ? { RemoveFields: ['packet-length' as const] } : {}),
        ...(change.virtualNetworkId !== undefined ? { VirtualNetworkId: change.virtualNetworkId } : {}),
      }),
    ),
  );
  if (!out.TrafficMirrorSession) throw new Error('ModifyTrafficMirrorSession returned no session');
  return toSession(out.TrafficMirrorSession);
}

const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped'];

/** Every instance that can carry a session (not terminated), optionally in the given VPCs. */
export function describeLiveInstances(vpcIds: readonly string[], client = ec2Client()): Promise<Instance[]> {
  return ec2Call('DescribeInstances', async () => {
    const filters: Filter[] = [{ Name: 'instance-state-name', Values: LIVE_STATES }];
    if (vpcIds.length > 0) filters.push({ Name: 'vpc-id', Values: [...vpcIds] });
    const found: Instance[] = [];
    const pages = paginateDescribeInstances(
      { client, pageSize: PAGE_SIZE },
      { Filters: filters, MaxResults: PAGE_SIZE },
    );
    for await (const page of pages) {
      for (const r of page.Reservations ?? []) for (const i of r.Instances ?? []) found.push(toInstance(i));
    }
    return found;
  });
}

/** Every mirror session of the account (one paginated call: the describe a reconcile cannot avoid). */
export function describeAllSessions(client = ec2Client()): Promise<Session[]> {
  return ec2Call('DescribeTrafficMirrorSessions', async () => {
    const found: Session[] = [];
    const pages = paginateDescribeTrafficMirrorSessions({ client, pageSize: PAGE_SIZE }, { MaxResults: PAGE_SIZE });
    for await (const page of pages) found.push(...(page.TrafficMirrorSessions ?? []).map(toSession));
    return found;
  });
}

/**
 * Sessions autotap created for one instance (a terminated instance no longer lists its ENIs). The
 * `description` filter with the exact description autotap gives them narrows it to one call: an
 * exact value is what every EC2 filter matches (API reference, Filter), no wildcard is involved.
 * The tags are checked in code too, so a session of another tool that copied the description is
 * never taken for autotap's; a session whose description a person changed is left to reconcile,
 * which finds autotap's sessions by tag.
 */
export async function describeSessionsOfInstance(instanceId: string, client = ec2Client()): Promise<Session[]> {
  const described = await describeSessionsBy('description', [`autotap: ${instanceId}`], client);
  return described.filter((s) => isManagedSession(s) && s.tags[INSTANCE_TAG] === instanceId);
}

/**
 * Every session autotap manages: all sessions of the account, paginated, with autotap's tag matched
 * in code. No AWS page documents wildcards in the traffic mirror describe filters, so a
 * `description` of `autotap: *` could match nothing but a literal `*`.
 */
export async function describeAllManagedSessions(client = ec2Client()): Promise<Session[]> {
  return (await describeAllSessions(client)).filter(isManagedSession);
}

export interface InterfaceStandingRecord {
  networkInterfaceId: string;
  vpcId?: string;
  attachedInstanceId?: string;
  interfaceType?: string;
  /** Set when it is another service's requester-managed ENI (a load balancer's, an RDS DB instance's): the source it stands for. */
  serviceSource?: Instance;
}

function serviceSourceOf(n: NetworkInterface): Instance | undefined {
  return serviceSource({
    networkInterfaceId: n.NetworkInterfaceId ?? '',
    interfaceType: n.InterfaceType ?? 'interface',
    requesterManaged: n.RequesterManaged === true,
    ...(n.Description !== undefined ? { description: n.Description } : {}),
    ...(n.RequesterId !== undefined ? { requesterId: n.RequesterId } : {}),
    ...(n.AvailabilityZone ? { availabilityZone: n.AvailabilityZone } : {}),
    ...(n.SubnetId ? { subnetId: n.SubnetId } : {}),
    ...(n.VpcId ? { vpcId: n.VpcId } : {}),
  });
}

/**
 * Other services' ENIs in the given VPCs (all when none), as sources: every requester-managed ENI
 * (the `requester-managed` filter), told apart by its description and requester ID
 * (service-sources.ts). The description is matched here, not with a wildcard filter value, which no
 * page documents for it; one call serves both kinds.
 */
export function describeServiceInterfaces(vpcIds: readonly string[], client = ec2Client()): Promise<Instance[]> {
  return ec2Call('DescribeNetworkInterfaces', async () => {
    const filters: Filter[] = [{ Name: 'requester-managed', Values: ['true'] }];
    if (vpcIds.length > 0) filters.push({ Name: 'vpc-id', Values: [...vpcIds] });
    const found: Instance[] = [];
    const pages = paginateDescribeNetworkInterfaces(
      { client, pageSize: PAGE_SIZE },
      { Filters: filters, MaxResults: PAGE_SIZE },
    );
    for await (const page of pages)
      for (const n of page.NetworkInterfaces ?? []) {
        const source = serviceSourceOf(n);
        if (source) found.push(source);
      }
    return found;
  });
}

/**
 * The ENIs with these ids that exist, each with its id: a `network-interface-id` filter in chunks of the
 * values a filter takes, so an ENI that is gone is absent rather than an error.
 */
async function* interfacesById(
  networkInterfaceIds: readonly string[],
  client: EC2Client,
): AsyncGenerator<[string, NetworkInterface]> {
  for (const ids of chunks(networkInterfaceIds, FILTER_VALUES_PER_CALL)) {
    const pages = paginateDescribeNetworkInterfaces(
      { client, pageSize: PAGE_SIZE },
      { Filters: [{ Name: 'network-interface-id', Values: ids }], MaxResults: PAGE_SIZE },
    );
    for await (const page of pages) {
      for (const n of page.NetworkInterfaces ?? []) if (n.NetworkInterfaceId) yield [n.NetworkInterfaceId, n];
    }
  }
}

/** Where ENIs stand now: attached to which instance, or detached. ENIs that no longer exist are absent. */
export function describeInterfaceStandings(
  networkInterfaceIds: readonly string[],
  client = ec2Client(),
): Promise<InterfaceStandingRecord[]> {
  return ec2Call('DescribeNetworkInterfaces', async () => {
    const found: InterfaceStandingRecord[] = [];
    for await (const [networkInterfaceId, n] of interfacesById(networkInterfaceIds, client)) {
      const source = serviceSourceOf(n);
      found.push({
        networkInterfaceId,
        ...(n.VpcId ? { vpcId: n.VpcId } : {}),
        ...(n.Attachment?.InstanceId ? { attachedInstanceId: n.Attachment.InstanceId } : {}),
        ...(n.InterfaceType ? { interfaceType: n.InterfaceType } : {}),
        ...(source ? { serviceSource: source } : {}),
      });
    }
    return found;
  });
}

/**
 * The filter carrying a tag, as the member template tags the filter it creates in each member
 * (DescribeTrafficMirrorFilters has no tag filter: its pages are read whole). Undefined: none.
 */
export function findTaggedFilter(key: string, value: string, client = ec2Client()): Promise<string | undefined> {
  return ec2Call('DescribeTrafficMirrorFilters', async () => {
    for await (const page of paginateDescribeTrafficMirrorFilters({ client, pageSize: PAGE_SIZE }, {}))
      for (const filter of page.TrafficMirrorFilters ?? [])
        if (filter.TrafficMirrorFilterId && (filter.Tags ?? []).some((t) => t.Key === key && t.Value === value))
          return filter.TrafficMirrorFilterId;
    return undefined;
  });
}

// ---- what autotap doctor reads ------------------------------------------------------------------

/** EC2's error reference spells it so; the other spelling is also seen in the wild. */
const FILTER_NOT_FOUND = new Set(['InvalidTrafficMirrorFilterNotFound', 'InvalidTrafficMirrorFilterId.NotFound']);

/** A traffic mirror filter with its rules; undefined when the account has no such filter. */
export async function describeMirrorFilter(filterId: string, client = ec2Client()): Promise<FilterFacts | undefined> {
  let out;
  try {
    out = await permitted('ec2:DescribeTrafficMirrorFilters', () =>
      client.send(new DescribeTrafficMirrorFiltersCommand({ TrafficMirrorFilterIds: [filterId] })),
    );
  } catch (error) {
    if (FILTER_NOT_FOUND.has((error as Error).name)) return undefined;
    throw error;
  }
  const filter = out.TrafficMirrorFilters?.find((f) => f.TrafficMirrorFilterId === filterId);
  if (!filter) return undefined;
  const rules = (direction: 'ingress' | 'egress', list: TrafficMirrorFilterRule[] | undefined) =>
    (list ?? []).map((r) => ({
      direction,
      action: r.RuleAction === 'accept' ? ('accept' as const) : ('reject' as const),
      ruleNumber: r.RuleNumber ?? 0,
    }));
  return {
    trafficMirrorFilterId: filterId,
    rules: [...rules('ingress', filter.IngressFilterRules), ...rules('egress', filter.EgressFilterRules)],
  };
}

/** Every mirror target of the account with what stands behind it (ENI, load balancer or endpoint). */
export async function describeTargetDetails(client = ec2Client()): Promise<TargetFacts[]> {
  return permitted('ec2:DescribeTrafficMirrorTargets', async () => {
    const found: TargetFacts[] = [];
    for await (const page of paginateDescribeTrafficMirrorTargets(
      { client, pageSize: PAGE_SIZE },
      { MaxResults: PAGE_SIZE },
    )) {
      for (const t of page.TrafficMirrorTargets ?? []) {
        const { trafficMirrorTargetId, kind, networkInterfaceId, tags } = toTarget(t);
        found.push({
          trafficMirrorTargetId,
          kind,
          ...(networkInterfaceId ? { networkInterfaceId } : {}),
          ...(t.NetworkLoadBalancerArn ? { networkLoadBalancerArn: t.NetworkLoadBalancerArn } : {}),
          ...(t.GatewayLoadBalancerEndpointId
            ? { gatewayLoadBalancerEndpointId: t.GatewayLoadBalancerEndpointId }
            : {}),
          tags,
        });
      }
    }
    return found;
  });
}

/** The ENIs behind ENI targets: zone, VPC and security groups. ENIs that no longer exist are absent. */
export async function describeTargetInterfaces(
  networkInterfaceIds: readonly string[],
  client = ec2Client(),
): Promise<TargetInterfaceFacts[]> {
  return permitted('ec2:DescribeNetworkInterfaces', async () => {
    const found: TargetInterfaceFacts[] = [];
    for await (const [networkInterfaceId, n] of interfacesById(networkInterfaceIds, client)) {
      found.push({
        networkInterfaceId,
        availabilityZone: n.AvailabilityZone ?? '',
        ...(n.VpcId ? { vpcId: n.VpcId } : {}),
        securityGroupIds: (n.Groups ?? []).flatMap((g) => (g.GroupId ? [g.GroupId] : [])),
      });
    }
    return found;
  });
}

/** Inbound rules of security groups, by id (a `group-id` filter: a deleted group is absent, not an error). */
export async function describeSecurityGroupRules(
  groupIds: readonly string[],
  client = ec2Client(),
): Promise<SecurityGroupFacts[]> {
  if (groupIds.length === 0) return [];
  return permitted('ec2:DescribeSecurityGroups', async () => {
    const found: SecurityGroupFacts[] = [];
    for (const ids of chunks([...new Set(groupIds)], FILTER_VALUES_PER_CALL)) {
      const pages = paginateDescribeSecurityGroups(
        { client, pageSize: PAGE_SIZE },
        { Filters: [{ Name: 'group-id', Values: ids }], MaxResults: PAGE_SIZE },
      );
      for await (const page of pages) {
        for (const g of page.SecurityGroups ?? []) {
          found.push({
            groupId: g.GroupId ?? '',
            inbound: (g.IpPermissions ?? []).map((p) => ({
              protocol: p.IpProtocol ?? '-1',
              ...(p.FromPort !== undefined ? { fromPort: p.FromPort } : {}),
              ...(p.ToPort !== undefined ? { toPort: p.ToPort } : {}),
              cidrs: [
                ...(p.IpRanges ?? []).flatMap((r) => (r.CidrIp ? [r.CidrIp] : [])),
                ...(p.Ipv6Ranges ?? []).flatMap((r) => (r.CidrIpv6 ? [r.CidrIpv6] : [])),
              ],
              groupIds: (p.UserIdGroupPairs ?? []).flatMap((pair) => (pair.GroupId ? [pair.GroupId] : [])),
            })),
          });
        }
      }
    }
    return found;
  });
}

/** The IPv4 CIDR blocks of VPCs, by id (a `vpc-id` filter: a deleted VPC is absent, not an error). */
export async function describeVpcCidrs(vpcIds: readonly string[], client = ec2Client()): Promise<VpcFacts[]> {
  if (vpcIds.length === 0) return [];
  return permitted('ec2:DescribeVpcs', async () => {
    const found: VpcFacts[] = [];
    for (const ids of chunks([...new Set(vpcIds)], FILTER_VALUES_PER_CALL)) {
      for await (const page of paginateDescribeVpcs(
        { client, pageSize: PAGE_SIZE },
        { Filters: [{ Name: 'vpc-id', Values: ids }], MaxResults: PAGE_SIZE },
      )) {
        for (const v of page.Vpcs ?? []) {
          const associated = (v.CidrBlockAssociationSet ?? [])
            .filter((a) => a.CidrBlockState?.State === 'associated')
            .flatMap((a) => (a.CidrBlock ? [a.CidrBlock] : []));
          found.push({
            vpcId: v.VpcId ?? '',
            cidrs: associated.length > 0 ? associated : v.CidrBlock ? [v.CidrBlock] : [],
          });
        }
      }
    }
    return found;
  });
}
