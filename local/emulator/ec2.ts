import { createHash } from 'node:crypto';
import { ApiError, invalidValue, missingParameter } from './errors.ts';
import type { FaultInjector } from './faults.ts';
import {
  optionalBoolean,
  optionalInteger,
  optionalString,
  requiredString,
  stringList,
  structList,
  type Params,
} from './query.ts';
import {
  INSTANCE_STATE_CODES,
  type Account,
  type FilterRecord,
  type FilterRuleRecord,
  type InstanceRecord,
  type NetworkInterfaceRecord,
  type SecurityGroupRecord,
  type SessionRecord,
  type Tags,
  type TargetRecord,
} from './state.ts';
import { element, list, text, type Child } from './xml.ts';

/** The EC2 actions autotap uses, with the validation, quotas and error codes AWS documents. */

export interface Ec2Context {
  account: Account;
  faults: FaultInjector;
}

/** Children of `<{Action}Response>` after its requestId. */
export type Ec2Handler = (params: Params, ctx: Ec2Context) => Child[];

const SESSIONS_PER_INTERFACE = 3;

/**
 * Error codes as AWS's EC2 error-code reference spells them
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html), typos included:
 * the target's is `NoFound`, and none of the three has a dot.
 */
const TARGET_NOT_FOUND = 'InvalidTrafficMirrorTargetNoFound';
const FILTER_NOT_FOUND = 'InvalidTrafficMirrorFilterNotFound';
const SESSION_NOT_FOUND = 'InvalidTrafficMirrorSessionNotFound';
const MAX_TAGS = 50;

// ---- parameters -------------------------------------------------------------------------------

function checkId(id: string, prefix: string, parameter: string, malformedCode = 'InvalidParameterValue'): void {
  if (!new RegExp(`^${prefix}-[0-9a-z]+$`).test(id)) {
    throw new ApiError(malformedCode, `Invalid id: "${id}" (${parameter} must look like ${prefix}-0123456789abcdef0)`);
  }
}

function integerInRange(params: Params, name: string, min: number, max: number): number | undefined {
  const value = optionalInteger(params, name);
  if (value !== undefined && (value < min || value > max)) {
    throw invalidValue(
      `Value (${value}) for parameter ${name} is invalid. Expected a value between ${min} and ${max}.`,
    );
  }
  return value;
}

function dryRunRequested(params: Params): boolean {
  return optionalBoolean(params, 'DryRun') ?? false;
}

function dryRunSucceeded(): ApiError {
  return new ApiError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
}

function uniqueIds(params: Params, prefix: string): string[] {
  return [...new Set(stringList(params, prefix))];
}

function readTags(group: Params, prefix: string, requireValue: boolean): { key: string; value?: string }[] {
  const tags = structList(group, prefix).map((tag, i) => {
    const key = tag.get('Key');
    if (key === undefined || key === '') throw missingParameter(`${prefix}.${i + 1}.Key`);
    if (key.length > 128) throw invalidValue(`Tag key ${prefix}.${i + 1}.Key exceeds 128 characters`);
    if (key.toLowerCase().startsWith('aws:'))
      throw invalidValue(`Tag key ${prefix}.${i + 1}.Key "${key}" uses the reserved prefix aws:`);
    const value = tag.get('Value');
    if (value !== undefined && value.length > 256)
      throw invalidValue(`Tag value ${prefix}.${i + 1}.Value exceeds 256 characters`);
    return { key, value: value ?? (requireValue ? '' : undefined) };
  });
  if (tags.length > MAX_TAGS)
    throw new ApiError('TagLimitExceeded', `The request has ${tags.length} tags; a resource has at most ${MAX_TAGS}`);
  return tags;
}

/** TagSpecification.N: tags for the resource being created; other resource types are refused. */
export function readTagSpecifications(params: Params, resourceType: string): Tags {
  const tags: Tags = {};
  structList(params, 'TagSpecification').forEach((spec, i) => {
    const type = spec.get('ResourceType');
    if (type === undefined) throw missingParameter(`TagSpecification.${i + 1}.ResourceType`);
    if (type !== resourceType)
      throw invalidValue(
        `'${type}' is not a valid taggable resource type for this operation (expected ${resourceType}).`,
      );
    for (const tag of readTags(spec, 'Tag', true)) tags[tag.key] = tag.value ?? '';
  });
  if (Object.keys(tags).length > MAX_TAGS)
    throw new ApiError('TagLimitExceeded', `At most ${MAX_TAGS} tags per resource`);
  return tags;
}

// ---- filters and pages --------------------------------------------------------------------------

interface Filter {
  name: string;
  values: string[];
}

function readFilters(params: Params): Filter[] {
  return structList(params, 'Filter').map((group, i) => {
    const name = group.get('Name');
    if (name === undefined || name === '') throw missingParameter(`Filter.${i + 1}.Name`);
    const values = structList(group, 'Value').map((value, j) => {
      const v = value.get('');
      if (v === undefined) throw missingParameter(`Filter.${i + 1}.Value.${j + 1}`);
      return v;
    });
    return { name, values };
  });
}

/**
 * EC2 matches a filter value exactly (API reference, Filter: "Filter values are case-sensitive"),
 * except where AWS documents wildcards (`*` any run of characters, `?` one character): the tag
 * filters of DescribeInstances and DescribeNetworkInterfaces (EC2 User Guide, "List and filter
 * your resources": https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Filtering.html).
 * No page documents wildcards, nor tag filters, for the traffic mirror describe calls, so there a
 * `*` is a literal `*` and `tag:` filters are unknown filter names.
 */
export interface DescribeFilterRules {
  /** The call's API reference page, which lists its filters. */
  page: string;
  /** Filters whose values may hold wildcards. */
  wildcards: (filterName: string) => boolean;
  /** Whether the call documents `tag:<key>`, `tag-key` and `tag-value`. */
  tagFilters: boolean;
}

const isTagFilter = (name: string): boolean => name.startsWith('tag:') || name === 'tag-key' || name === 'tag-value';
const exactOnly = (): boolean => false;
const apiPage = (action: string) => `https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_${action}.html`;

export const DESCRIBE_FILTER_RULES = {
  DescribeInstances: { page: apiPage('DescribeInstances'), wildcards: isTagFilter, tagFilters: true },
  DescribeNetworkInterfaces: { page: apiPage('DescribeNetworkInterfaces'), wildcards: isTagFilter, tagFilters: true },
  DescribeTrafficMirrorSessions: {
    page: apiPage('DescribeTrafficMirrorSessions'),
    wildcards: exactOnly,
    tagFilters: false,
  },
  DescribeTrafficMirrorTargets: {
    page: apiPage('DescribeTrafficMirrorTargets'),
    wildcards: exactOnly,
    tagFilters: false,
  },
  DescribeTrafficMirrorFilters: {
    page: apiPage('DescribeTrafficMirrorFilters'),
    wildcards: exactOnly,
    tagFilters: false,
  },
  // The emulator keeps no tags on groups; a tag filter is refused as unknown rather than matching nothing.
  DescribeSecurityGroups: { page: apiPage('DescribeSecurityGroups'), wildcards: exactOnly, tagFilters: false },
  DescribeVpcs: { page: apiPage('DescribeVpcs'), wildcards: exactOnly, tagFilters: false },
} satisfies Record<string, DescribeFilterRules>;

function globMatch(pattern: string, value: string): boolean {
  if (!/[*?]/.test(pattern)) return pattern === value;
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.?');
  return new RegExp(`^${source}$`, 's').test(value);
}

type FieldValues = (name: string) => (string | number | boolean | undefined)[] | undefined;

function tagField(name: string, tags: Tags): string[] | undefined {
  if (name.startsWith('tag:')) {
    const value = tags[name.slice(4)];
    return value === undefined ? [] : [value];
  }
  if (name === 'tag-key') return Object.keys(tags);
  if (name === 'tag-value') return Object.values(tags);
  return undefined;
}

/** A resource matches when, for every filter, one of its values matches one of the filter's. */
function matches(filters: Filter[], fields: FieldValues, rules: DescribeFilterRules): boolean {
  return filters.every((filter) => {
    const values = fields(filter.name);
    if (values === undefined) throw invalidValue(`The filter '${filter.name}' is invalid`);
    const match = rules.wildcards(filter.name) ? globMatch : (pattern: string, value: string) => pattern === value;
    return values.some(
      (value) => value !== undefined && filter.values.some((pattern) => match(pattern, String(value))),
    );
  });
}

/**
 * A cheap first pass for filters without wildcards (plain values compare equal): an account of
 * 35,000 sessions is otherwise pattern-matched in full by every describe. Never narrower than `matches`.
 */
function plainFilters(filters: Filter[]): (fields: FieldValues) => boolean {
  const plain = filters
    .filter((f) => f.values.every((v) => !/[*?]/.test(v)))
    .map((f) => ({ name: f.name, values: new Set(f.values) }));
  return (fields) =>
    plain.every((filter) => {
      const values = fields(filter.name);
      return values === undefined || values.some((value) => value !== undefined && filter.values.has(String(value)));
    });
}

function checkFilterNames(filters: Filter[], fields: FieldValues): void {
  for (const filter of filters) {
    if (fields(filter.name) === undefined) throw invalidValue(`The filter '${filter.name}' is invalid`);
  }
}

interface Page<T> {
  items: T[];
  nextToken?: string;
}

/**
 * Tokens carry the action and the offset; a token from another action or a mangled one is
 * refused, as EC2 refuses tokens it did not issue.
 */
function paginate<T>(items: T[], params: Params, action: string): Page<T> {
  const maxResults = optionalInteger(params, 'MaxResults');
  if (maxResults !== undefined && (maxResults < 5 || maxResults > 1000)) {
    throw invalidValue(
      `Value ( ${maxResults} ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.`,
    );
  }
  const token = optionalString(params, 'NextToken');
  let offset = 0;
  if (token !== undefined && token !== '') {
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    } catch {
      decoded = undefined;
    }
    const candidate = decoded as { a?: unknown; o?: unknown } | undefined;
    if (
      !candidate ||
      candidate.a !== action ||
      typeof candidate.o !== 'number' ||
      !Number.isInteger(candidate.o) ||
      candidate.o < 0
    ) {
      throw new ApiError('InvalidPaginationToken', `The pagination token '${token}' is invalid or expired.`);
    }
    offset = candidate.o;
  }
  const size = maxResults ?? 1000;
  const pageItems = items.slice(offset, offset + size);
  const next = offset + size;
  return {
    items: pageItems,
    nextToken:
      next < items.length ? Buffer.from(JSON.stringify({ a: action, o: next })).toString('base64url') : undefined,
  };
}

function refuseIdsWithMaxResults(params: Params, idParameter: string, ids: string[]): void {
  if (ids.length > 0 && params.has('MaxResults')) {
    throw new ApiError(
      'InvalidParameterCombination',
      `The parameter ${idParameter} cannot be used with the parameter MaxResults`,
    );
  }
}

function notFound(code: string, noun: string, ids: string[]): ApiError {
  return ids.length === 1
    ? new ApiError(code, `The ${noun} ID '${ids[0]}' does not exist`)
    : new ApiError(code, `The ${noun} IDs '${ids.join(', ')}' do not exist`);
}

// ---- rendering --------------------------------------------------------------------------------

const tagSet = (tags: Tags): Child =>
  list('tagSet', Object.entries(tags), ([key, value]) => [text('key', key), text('value', value)]);

function renderInstanceInterface(eni: NetworkInterfaceRecord, ownerId: string): Child[] {
  const attachment = eni.attachment;
  return [
    text('networkInterfaceId', eni.id),
    text('subnetId', eni.subnetId),
    text('vpcId', eni.vpcId),
    text('description', eni.description ?? ''),
    text('ownerId', ownerId),
    text('status', 'in-use'),
    text('sourceDestCheck', true),
    text('interfaceType', eni.interfaceType),
    attachment &&
      element('attachment', [
        text('attachmentId', attachment.attachmentId),
        text('deviceIndex', attachment.deviceIndex),
        text('networkCardIndex', 0),
        text('status', 'attached'),
        text('attachTime', attachment.attachTime),
        text('deleteOnTermination', attachment.deleteOnTermination),
      ]),
  ];
}

function renderInstance(instance: InstanceRecord, account: Account): Child[] {
  const terminated = instance.state === 'terminated';
  return [
    text('instanceId', instance.id),
    element('instanceState', [text('code', INSTANCE_STATE_CODES[instance.state]), text('name', instance.state)]),
    text('instanceType', instance.instanceType),
    text('launchTime', instance.launchTime),
    element('placement', [text('availabilityZone', instance.availabilityZone), text('tenancy', 'default')]),
    !terminated && text('subnetId', instance.subnetId),
    !terminated && text('vpcId', instance.vpcId),
    tagSet(instance.tags),
    list('networkInterfaceSet', terminated ? [] : account.interfacesOf(instance.id), (eni) =>
      renderInstanceInterface(eni, account.accountId),
    ),
  ];
}

function renderNetworkInterface(eni: NetworkInterfaceRecord, account: Account): Child[] {
  const attachment = eni.attachment;
  return [
    text('networkInterfaceId', eni.id),
    text('subnetId', eni.subnetId),
    text('vpcId', eni.vpcId),
    text('availabilityZone', eni.availabilityZone),
    text('description', eni.description ?? ''),
    text('ownerId', account.accountId),
    text('requesterManaged', eni.requesterId !== undefined),
    eni.requesterId !== undefined && text('requesterId', eni.requesterId),
    text('status', attachment ? 'in-use' : 'available'),
    text('sourceDestCheck', true),
    text('interfaceType', eni.interfaceType),
    list('groupSet', eni.securityGroupIds, (id) => [
      text('groupId', id),
      text('groupName', account.securityGroups.get(id)?.name ?? id),
    ]),
    tagSet(eni.tags),
    attachment &&
      element('attachment', [
        text('attachmentId', attachment.attachmentId),
        text('instanceId', attachment.instanceId),
        text('instanceOwnerId', account.accountId),
        text('deviceIndex', attachment.deviceIndex),
        text('networkCardIndex', 0),
        text('status', 'attached'),
        text('attachTime', attachment.attachTime),
        text('deleteOnTermination', attachment.deleteOnTermination),
      ]),
  ];
}

function renderSession(session: SessionRecord, ownerId: string): Child[] {
  return [
    text('trafficMirrorSessionId', session.id),
    text('trafficMirrorTargetId', session.targetId),
    text('trafficMirrorFilterId', session.filterId),
    text('networkInterfaceId', session.networkInterfaceId),
    text('ownerId', ownerId),
    text('packetLength', session.packetLength),
    text('sessionNumber', session.sessionNumber),
    text('virtualNetworkId', session.virtualNetworkId),
    text('description', session.description),
    tagSet(session.tags),
  ];
}

function renderTarget(target: TargetRecord, ownerId: string): Child[] {
  return [
    text('trafficMirrorTargetId', target.id),
    text('networkInterfaceId', target.networkInterfaceId),
    text('networkLoadBalancerArn', target.networkLoadBalancerArn),
    text('gatewayLoadBalancerEndpointId', target.gatewayLoadBalancerEndpointId),
    text('type', target.type),
    text('description', target.description),
    text('ownerId', ownerId),
    tagSet(target.tags),
  ];
}

/** A rule as DescribeTrafficMirrorFilters returns it (API reference, TrafficMirrorFilterRule). */
function renderFilterRule(filter: FilterRecord, rule: FilterRuleRecord): Child[] {
  return [
    text('trafficMirrorFilterRuleId', rule.id),
    text('trafficMirrorFilterId', filter.id),
    text('trafficDirection', rule.direction),
    text('ruleNumber', rule.ruleNumber),
    text('ruleAction', rule.action),
    text('protocol', rule.protocol),
    text('destinationCidrBlock', rule.destinationCidrBlock),
    text('sourceCidrBlock', rule.sourceCidrBlock),
  ];
}

function renderFilter(filter: FilterRecord): Child[] {
  const rules = (direction: FilterRuleRecord['direction']) =>
    filter.rules.filter((r) => r.direction === direction).sort((a, b) => a.ruleNumber - b.ruleNumber);
  return [
    text('trafficMirrorFilterId', filter.id),
    list('ingressFilterRuleSet', rules('ingress'), (r) => renderFilterRule(filter, r)),
    list('egressFilterRuleSet', rules('egress'), (r) => renderFilterRule(filter, r)),
    list('networkServiceSet', [], () => []),
    text('description', filter.description),
    tagSet(filter.tags),
  ];
}

// ---- describe ---------------------------------------------------------------------------------

function describeInstances(params: Params, { account, faults }: Ec2Context): Child[] {
  const ids = uniqueIds(params, 'InstanceId');
  const filters = readFilters(params);
  refuseIdsWithMaxResults(params, 'InstanceId', ids);
  for (const id of ids) checkId(id, 'i', 'InstanceId', 'InvalidInstanceID.Malformed');
  const fields =
    (instance: InstanceRecord): FieldValues =>
    (name) => {
      switch (name) {
        case 'instance-id':
          return [instance.id];
        case 'instance-type':
          return [instance.instanceType];
        case 'instance-state-name':
          return [instance.state];
        case 'instance-state-code':
          return [INSTANCE_STATE_CODES[instance.state]];
        case 'availability-zone':
          return [instance.availabilityZone];
        case 'vpc-id':
          return [instance.vpcId];
        case 'subnet-id':
          return [instance.subnetId];
        case 'launch-time':
          return [instance.launchTime];
        case 'network-interface.network-interface-id':
          return account.interfacesOf(instance.id).map((eni) => eni.id);
        case 'network-interface.interface-type':
          return account.interfacesOf(instance.id).map((eni) => eni.interfaceType);
        default:
          return tagField(name, instance.tags);
      }
    };
  checkFilterNames(filters, fields(placeholderInstance));
  if (dryRunRequested(params)) throw dryRunSucceeded();
  let candidates: InstanceRecord[];
  if (ids.length > 0) {
    const missing = ids.filter((id) => {
      const instance = account.instances.get(id);
      return !instance || faults.named(id, instance.createdAt);
    });
    if (missing.length > 0) throw notFound('InvalidInstanceID.NotFound', 'instance', missing);
    candidates = ids.map((id) => account.instances.get(id)).filter((i): i is InstanceRecord => i !== undefined);
  } else {
    // An instance-id filter of plain ids narrows the candidates cheaply first (same answer, same order).
    const named = filters.find((f) => f.name === 'instance-id' && f.values.every((v) => !/[*?]/.test(v)));
    const ids = named ? new Set(named.values) : undefined;
    candidates = [...account.instances.values()].filter(
      (instance) => (!ids || ids.has(instance.id)) && !faults.hiddenByAge(instance.createdAt),
    );
  }
  let selected = candidates.filter((instance) =>
    matches(filters, fields(instance), DESCRIBE_FILTER_RULES.DescribeInstances),
  );
  if (ids.length === 0 && filters.some((f) => f.name === 'instance-id')) {
    selected = selected.filter((instance) => !faults.named(instance.id, instance.createdAt));
  }
  const page = paginate(selected, params, 'DescribeInstances');
  return [
    list('reservationSet', page.items, (instance) => [
      text('reservationId', instance.reservationId),
      text('ownerId', account.accountId),
      list('groupSet', [], () => []),
      list('instancesSet', [instance], (i) => renderInstance(i, account)),
    ]),
    text('nextToken', page.nextToken),
  ];
}

/** Lets filter names be checked even when there is nothing to filter. */
const placeholderInstance: InstanceRecord = {
  id: 'i-0',
  reservationId: 'r-0',
  instanceType: 'm5.large',
  state: 'running',
  availabilityZone: 'us-east-1a',
  tags: {},
  launchTime: '1970-01-01T00:00:00.000Z',
  createdAt: 0,
};

function describeNetworkInterfaces(params: Params, { account, faults }: Ec2Context): Child[] {
  const ids = uniqueIds(params, 'NetworkInterfaceId');
  const filters = readFilters(params);
  refuseIdsWithMaxResults(params, 'NetworkInterfaceId', ids);
  for (const id of ids) checkId(id, 'eni', 'NetworkInterfaceId', 'InvalidNetworkInterfaceId.Malformed');
  const fields =
    (eni: NetworkInterfaceRecord): FieldValues =>
    (name) => {
      const attachment = eni.attachment;
      switch (name) {
        case 'network-interface-id':
          return [eni.id];
        case 'attachment.instance-id':
          return [attachment?.instanceId];
        case 'attachment.attachment-id':
          return [attachment?.attachmentId];
        case 'attachment.device-index':
          return [attachment?.deviceIndex];
        case 'attachment.status':
          return [attachment ? 'attached' : undefined];
        case 'attachment.delete-on-termination':
          return [attachment?.deleteOnTermination];
        case 'availability-zone':
          return [eni.availabilityZone];
        case 'interface-type':
          return [eni.interfaceType];
        case 'subnet-id':
          return [eni.subnetId];
        case 'vpc-id':
          return [eni.vpcId];
        case 'status':
          return [attachment ? 'in-use' : 'available'];
        case 'description':
          return [eni.description ?? ''];
        case 'requester-managed':
          return [eni.requesterId !== undefined];
        case 'requester-id':
          return [eni.requesterId];
        case 'owner-id':
          return [account.accountId];
        case 'group-id':
          return eni.securityGroupIds;
        default:
          return tagField(name, eni.tags);
      }
    };
  checkFilterNames(
    filters,
    fields({
      id: 'eni-0',
      interfaceType: 'interface',
      availabilityZone: '',
      securityGroupIds: [],
      tags: {},
      createdAt: 0,
    }),
  );
  if (dryRunRequested(params)) throw dryRunSucceeded();
  let candidates: NetworkInterfaceRecord[];
  if (ids.length > 0) {
    const missing = ids.filter((id) => {
      const eni = account.networkInterfaces.get(id);
      return !eni || faults.named(id, eni.createdAt);
    });
    if (missing.length > 0) throw notFound('InvalidNetworkInterfaceID.NotFound', 'networkInterface', missing);
    candidates = ids
      .map((id) => account.networkInterfaces.get(id))
      .filter((e): e is NetworkInterfaceRecord => e !== undefined);
  } else {
    candidates = [...account.networkInterfaces.values()].filter((eni) => !faults.hiddenByAge(eni.createdAt));
  }
  let selected = candidates.filter((eni) =>
    matches(filters, fields(eni), DESCRIBE_FILTER_RULES.DescribeNetworkInterfaces),
  );
  if (ids.length === 0 && filters.some((f) => f.name === 'network-interface-id')) {
    selected = selected.filter((eni) => !faults.named(eni.id, eni.createdAt));
  }
  const page = paginate(selected, params, 'DescribeNetworkInterfaces');
  return [
    list('networkInterfaceSet', page.items, (eni) => renderNetworkInterface(eni, account)),
    text('nextToken', page.nextToken),
  ];
}

function describeTrafficMirrorSessions(params: Params, { account, faults }: Ec2Context): Child[] {
  const ids = uniqueIds(params, 'TrafficMirrorSessionId');
  const filters = readFilters(params);
  for (const id of ids) checkId(id, 'tms', 'TrafficMirrorSessionId');
  const fields =
    (session: SessionRecord, ownerId = account.accountId): FieldValues =>
    (name) => {
      switch (name) {
        case 'traffic-mirror-session-id':
          return [session.id];
        case 'traffic-mirror-target-id':
          return [session.targetId];
        case 'traffic-mirror-filter-id':
          return [session.filterId];
        case 'network-interface-id':
          return [session.networkInterfaceId];
        case 'session-number':
          return [session.sessionNumber];
        case 'virtual-network-id':
          return [session.virtualNetworkId];
        case 'packet-length':
          return [session.packetLength];
        case 'description':
          return [session.description];
        case 'owner-id':
          return [ownerId];
        default:
          return undefined;
      }
    };
  checkFilterNames(
    filters,
    fields({
      id: 'tms-0',
      networkInterfaceId: '',
      targetId: '',
      filterId: '',
      sessionNumber: 0,
      virtualNetworkId: 0,
      tags: {},
    }),
  );
  if (dryRunRequested(params)) throw dryRunSucceeded();
  // What this call sees: sessions created within the lag are not there yet, deleted ones still are.
  const own = faults.visibleSessions([...account.sessions.values()]).map((session) => ({
    session,
    ownerId: account.accountId,
  }));
  // The owner of a target also sees the sessions other accounts made on it (cross-account targets page).
  const elsewhere = [...account.targets.keys()].flatMap((id) => account.peers?.sessionsElsewhereOn(id) ?? []);
  const visible = new Map([...own, ...elsewhere].map((v) => [v.session.id, v]));
  const missing = ids.filter((id) => !visible.has(id));
  if (missing.length > 0) throw notFound(SESSION_NOT_FOUND, 'traffic mirror session', missing);
  const candidates = ids.length > 0 ? ids.map((id) => visible.get(id)!) : [...visible.values()];
  const allowed = plainFilters(filters);
  const page = paginate(
    candidates.filter(
      (v) =>
        allowed(fields(v.session, v.ownerId)) &&
        matches(filters, fields(v.session, v.ownerId), DESCRIBE_FILTER_RULES.DescribeTrafficMirrorSessions),
    ),
    params,
    'DescribeTrafficMirrorSessions',
  );
  return [
    list('trafficMirrorSessionSet', page.items, (v) => renderSession(v.session, v.ownerId)),
    text('nextToken', page.nextToken),
  ];
}

function describeTrafficMirrorTargets(params: Params, { account }: Ec2Context): Child[] {
  const ids = uniqueIds(params, 'TrafficMirrorTargetId');
  const filters = readFilters(params);
  for (const id of ids) checkId(id, 'tmt', 'TrafficMirrorTargetId');
  const fields =
    (target: TargetRecord, ownerId = account.accountId): FieldValues =>
    (name) => {
      switch (name) {
        case 'traffic-mirror-target-id':
          return [target.id];
        case 'network-interface-id':
          return [target.networkInterfaceId];
        case 'network-load-balancer-arn':
          return [target.networkLoadBalancerArn];
        case 'description':
          return [target.description];
        case 'owner-id':
          return [ownerId];
        default:
          return undefined;
      }
    };
  checkFilterNames(filters, fields({ id: 'tmt-0', type: 'network-interface', tags: {} }));
  if (dryRunRequested(params)) throw dryRunSucceeded();
  // Shared targets are visible to the accounts they are shared with (cross-account targets page).
  const visible = new Map(account.visibleTargets().map((v) => [v.target.id, v]));
  const missing = ids.filter((id) => !visible.has(id));
  if (missing.length > 0) throw notFound(TARGET_NOT_FOUND, 'traffic mirror target', missing);
  const candidates = ids.length > 0 ? ids.map((id) => visible.get(id)!) : [...visible.values()];
  const page = paginate(
    candidates.filter((v) =>
      matches(filters, fields(v.target, v.ownerId), DESCRIBE_FILTER_RULES.DescribeTrafficMirrorTargets),
    ),
    params,
    'DescribeTrafficMirrorTargets',
  );
  return [
    list('trafficMirrorTargetSet', page.items, (v) => renderTarget(v.target, v.ownerId)),
    text('nextToken', page.nextToken),
  ];
}

function describeTrafficMirrorFilters(params: Params, { account }: Ec2Context): Child[] {
  const ids = uniqueIds(params, 'TrafficMirrorFilterId');
  const filters = readFilters(params);
  for (const id of ids) checkId(id, 'tmf', 'TrafficMirrorFilterId');
  const fields =
    (filter: FilterRecord): FieldValues =>
    (name) => {
      switch (name) {
        case 'traffic-mirror-filter-id':
          return [filter.id];
        case 'description':
          return [filter.description];
        default:
          return undefined;
      }
    };
  checkFilterNames(filters, fields({ id: 'tmf-0', tags: {}, rules: [] }));
  if (dryRunRequested(params)) throw dryRunSucceeded();
  const missing = ids.filter((id) => !account.filters.has(id));
  if (missing.length > 0) throw notFound(FILTER_NOT_FOUND, 'traffic mirror filter', missing);
  const candidates =
    ids.length > 0 ? ids.map((id) => account.filters.get(id) as FilterRecord) : [...account.filters.values()];
  const page = paginate(
    candidates.filter((f) => matches(filters, fields(f), DESCRIBE_FILTER_RULES.DescribeTrafficMirrorFilters)),
    params,
    'DescribeTrafficMirrorFilters',
  );
  return [list('trafficMirrorFilterSet', page.items, renderFilter), text('nextToken', page.nextToken)];
}

/**
 * DescribeSecurityGroups (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSecurityGroups.html):
 * an unknown GroupId fails the call with InvalidGroup.NotFound, a malformed one with
 * InvalidGroupId.Malformed; a `group-id` filter matches without failing.
 */
function describeSecurityGroups(params: Params, { account }: Ec2Context): Child[] {
  const ids = uniqueIds(params, 'GroupId');
  const filters = readFilters(params);
  refuseIdsWithMaxResults(params, 'GroupId', ids);
  for (const id of ids) checkId(id, 'sg', 'GroupId', 'InvalidGroupId.Malformed');
  const fields =
    (group: SecurityGroupRecord): FieldValues =>
    (name) => {
      switch (name) {
        case 'group-id':
          return [group.id];
        case 'group-name':
          return [group.name];
        case 'vpc-id':
          return [group.vpcId];
        case 'owner-id':
          return [account.accountId];
        default:
          return undefined;
      }
    };
  checkFilterNames(filters, fields({ id: 'sg-0', name: 'x', inbound: [] }));
  if (dryRunRequested(params)) throw dryRunSucceeded();
  const missing = ids.filter((id) => !account.securityGroups.has(id));
  if (missing.length > 0)
    throw new ApiError('InvalidGroup.NotFound', `The security group '${missing.join(', ')}' does not exist`);
  const candidates =
    ids.length > 0
      ? ids.map((id) => account.securityGroups.get(id) as SecurityGroupRecord)
      : [...account.securityGroups.values()];
  const page = paginate(
    candidates.filter((g) => matches(filters, fields(g), DESCRIBE_FILTER_RULES.DescribeSecurityGroups)),
    params,
    'DescribeSecurityGroups',
  );
  return [
    list('securityGroupInfo', page.items, (g) => [
      text('ownerId', account.accountId),
      text('groupId', g.id),
      text('groupName', g.name),
      text('groupDescription', g.name),
      text('vpcId', g.vpcId),
      list('ipPermissions', g.inbound, (rule) => [
        text('ipProtocol', rule.protocol),
        text('fromPort', rule.fromPort),
        text('toPort', rule.toPort),
        list('groups', rule.groupIds, (id) => [text('groupId', id), text('userId', account.accountId)]),
        list('ipRanges', rule.cidrs, (cidr) => [text('cidrIp', cidr)]),
      ]),
      list('ipPermissionsEgress', [], () => []),
    ]),
    text('nextToken', page.nextToken),
  ];
}

/**
 * DescribeVpcs (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeVpcs.html): an
 * unknown VpcId fails the call with InvalidVpcID.NotFound; a `vpc-id` filter matches without failing.
 */
function describeVpcs(params: Params, { account }: Ec2Context): Child[] {
  const ids = uniqueIds(params, 'VpcId');
  const filters = readFilters(params);
  refuseIdsWithMaxResults(params, 'VpcId', ids);
  for (const id of ids) checkId(id, 'vpc', 'VpcId', 'InvalidVpcID.Malformed');
  type Vpc = { id: string; cidrs: string[] };
  const fields =
    (vpc: Vpc): FieldValues =>
    (name) => {
      switch (name) {
        case 'vpc-id':
          return [vpc.id];
        case 'cidr':
          return [vpc.cidrs[0]];
        case 'cidr-block-association.cidr-block':
          return vpc.cidrs;
        case 'owner-id':
          return [account.accountId];
        case 'state':
          return ['available'];
        default:
          return undefined;
      }
    };
  checkFilterNames(filters, fields({ id: 'vpc-0', cidrs: [] }));
  if (dryRunRequested(params)) throw dryRunSucceeded();
  const missing = ids.filter((id) => !account.vpcs.has(id));
  if (missing.length > 0)
    throw new ApiError('InvalidVpcID.NotFound', `The vpc ID '${missing.join(', ')}' does not exist`);
  const candidates = ids.length > 0 ? ids.map((id) => account.vpcs.get(id) as Vpc) : [...account.vpcs.values()];
  const page = paginate(
    candidates.filter((v) => matches(filters, fields(v), DESCRIBE_FILTER_RULES.DescribeVpcs)),
    params,
    'DescribeVpcs',
  );
  return [
    list('vpcSet', page.items, (v) => [
      text('vpcId', v.id),
      text('ownerId', account.accountId),
      text('state', 'available'),
      text('cidrBlock', v.cidrs[0]),
      list('cidrBlockAssociationSet', v.cidrs, (cidr) => [
        text('associationId', `${v.id.replace('vpc-', 'vpc-cidr-assoc-')}-${cidr.replace(/[./]/g, '-')}`),
        text('cidrBlock', cidr),
        element('cidrBlockState', [text('state', 'associated')]),
      ]),
      text('isDefault', false),
    ]),
    text('nextToken', page.nextToken),
  ];
}

// ---- sessions ---------------------------------------------------------------------------------

/**
 * A target the account may mirror to: its own, or one shared with it through RAM. One not shared (or
 * whose share was revoked or not accepted) is not visible to the account at all; AWS documents no
 * other answer for it, so it is NotFound as any id the account cannot see.
 */
function targetOf(account: Account, id: string): TargetRecord {
  checkId(id, 'tmt', 'TrafficMirrorTargetId');
  const target = account.visibleTarget(id)?.target;
  if (!target) throw notFound(TARGET_NOT_FOUND, 'traffic mirror target', [id]);
  return target;
}

function filterOf(account: Account, id: string): FilterRecord {
  checkId(id, 'tmf', 'TrafficMirrorFilterId');
  const filter = account.filters.get(id);
  if (!filter) throw notFound(FILTER_NOT_FOUND, 'traffic mirror filter', [id]);
  return filter;
}

function sessionOf(account: Account, id: string): SessionRecord {
  checkId(id, 'tms', 'TrafficMirrorSessionId');
  const session = account.sessions.get(id);
  if (!session) throw notFound(SESSION_NOT_FOUND, 'traffic mirror session', [id]);
  return session;
}

function checkTargetCapacity(account: Account, target: TargetRecord, networkInterfaceId: string): void {
  if (target.maxSources === undefined) return;
  const sources = account.sourcesOf(target.id);
  if (!sources.has(networkInterfaceId) && sources.size >= target.maxSources) {
    throw new ApiError(
      'TrafficMirrorSourcesPerTargetLimitExceeded',
      `The traffic mirror target ${target.id} already has the maximum number of sources (${target.maxSources}).`,
    );
  }
}

/**
 * Whether AWS lets two sessions of one ENI share a number is undocumented, so the emulator answers
 * either way (seed `undocumented.duplicateSessionNumbers`). Refused, the message is deliberately
 * plain: AWS documents no wording that a caller could rely on.
 */
function checkSessionNumberFree(
  account: Account,
  networkInterfaceId: string,
  sessionNumber: number,
  except?: string,
): void {
  if (account.undocumented.duplicateSessionNumbers === 'accept') return;
  const clash = account
    .sessionsOf(networkInterfaceId)
    .find((s) => s.sessionNumber === sessionNumber && s.id !== except);
  if (clash) throw invalidValue(`Invalid value '${sessionNumber}' for SessionNumber.`);
}

/** What makes two requests "the same" for ClientToken: every parameter but the token and DryRun. */
function fingerprint(params: Params): string {
  const relevant = [...params]
    .filter(([key]) => !['Action', 'Version', 'ClientToken', 'DryRun'].includes(key))
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return createHash('sha256').update(JSON.stringify(relevant)).digest('hex');
}

function createTrafficMirrorSession(params: Params, { account, faults }: Ec2Context): Child[] {
  const networkInterfaceId = requiredString(params, 'NetworkInterfaceId');
  const targetId = requiredString(params, 'TrafficMirrorTargetId');
  const filterId = requiredString(params, 'TrafficMirrorFilterId');
  if (!params.has('SessionNumber')) throw missingParameter('SessionNumber');
  const sessionNumber = integerInRange(params, 'SessionNumber', 1, 32766) as number;
  const packetLength = integerInRange(params, 'PacketLength', 1, 8500);
  const virtualNetworkId = integerInRange(params, 'VirtualNetworkId', 0, 16777215);
  const description = optionalString(params, 'Description');
  if (description !== undefined && description.length > 255) throw invalidValue('Description exceeds 255 characters');
  const tags = readTagSpecifications(params, 'traffic-mirror-session');
  const dryRun = dryRunRequested(params);
  const clientToken = optionalString(params, 'ClientToken');
  // At most 64 ASCII characters: https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html
  if (clientToken !== undefined && (clientToken.length > 64 || !/^[\x20-\x7e]*$/.test(clientToken))) {
    throw invalidValue(`ClientToken must be at most 64 printable ASCII characters (got ${clientToken.length}).`);
  }
  checkId(networkInterfaceId, 'eni', 'NetworkInterfaceId', 'InvalidNetworkInterfaceId.Malformed');

  const tokenKey = clientToken ? `CreateTrafficMirrorSession:${clientToken}` : undefined;
  const print = fingerprint(params);
  if (tokenKey && !dryRun) {
    const earlier = account.clientTokens.get(tokenKey);
    // What a token means once its session is gone is undocumented: replay it, or create anew.
    const forgotten =
      earlier && !account.sessions.has(earlier.session.id) && account.undocumented.clientTokenAfterDelete === 'create';
    if (earlier && !forgotten) {
      if (earlier.fingerprint !== print) {
        throw new ApiError(
          'IdempotentParameterMismatch',
          `The client token ${clientToken} was already used with different parameters.`,
        );
      }
      return [
        element('trafficMirrorSession', renderSession(earlier.session, account.accountId)),
        text('clientToken', clientToken),
      ];
    }
  }

  const eni = account.networkInterfaces.get(networkInterfaceId);
  if (!eni || faults.named(networkInterfaceId, eni.createdAt)) {
    throw notFound('InvalidNetworkInterfaceID.NotFound', 'networkInterface', [networkInterfaceId]);
  }
  const target = targetOf(account, targetId);
  filterOf(account, filterId);

  if (eni.interfaceType !== 'interface') {
    throw new ApiError(
      'NetworkInterfaceNotSupported',
      `The network interface ${networkInterfaceId} has type ${eni.interfaceType}; only interface type 'interface' can be a mirror source.`,
    );
  }
  const instance = eni.attachment ? account.instances.get(eni.attachment.instanceId) : undefined;
  if (instance && account.isUnsupportedInstanceType(instance.instanceType)) {
    throw new ApiError(
      'NetworkInterfaceNotSupported',
      `The network interface ${networkInterfaceId} is attached to instance ${instance.id} of type ${instance.instanceType}, which does not support Traffic Mirroring.`,
    );
  }
  const asTarget = account.targetUsingInterface(networkInterfaceId);
  if (asTarget) {
    throw new ApiError(
      'InterfaceInUseByTrafficMirrorTarget',
      `The network interface ${networkInterfaceId} is in use by traffic mirror target ${asTarget.id} and cannot be a mirror source.`,
    );
  }
  const existing = account.sessionsOf(networkInterfaceId);
  if (existing.length >= SESSIONS_PER_INTERFACE) {
    throw new ApiError(
      'TrafficMirrorSessionsPerInterfaceLimitExceeded',
      `The network interface ${networkInterfaceId} already has ${existing.length} traffic mirror sessions, the maximum.`,
    );
  }
  checkSessionNumberFree(account, networkInterfaceId, sessionNumber);
  checkTargetCapacity(account, target, networkInterfaceId);
  if (account.sessions.size >= account.accountSessionLimit) {
    throw new ApiError(
      'TrafficMirrorSessionLimitExceeded',
      `The account already has ${account.sessions.size} traffic mirror sessions, the maximum.`,
    );
  }
  if (dryRun) throw dryRunSucceeded();

  const session: SessionRecord = {
    id: account.newSessionId(),
    networkInterfaceId,
    targetId,
    filterId,
    sessionNumber,
    packetLength,
    virtualNetworkId: virtualNetworkId ?? account.newVirtualNetworkId(),
    description,
    tags,
  };
  account.sessions.set(session.id, session);
  faults.sessionCreated(session.id);
  if (tokenKey)
    account.clientTokens.set(tokenKey, { fingerprint: print, session: { ...session, tags: { ...session.tags } } });
  return [element('trafficMirrorSession', renderSession(session, account.accountId)), text('clientToken', clientToken)];
}

const REMOVABLE_FIELDS = ['packet-length', 'description', 'virtual-network-id'];

function modifyTrafficMirrorSession(params: Params, { account }: Ec2Context): Child[] {
  const session = sessionOf(account, requiredString(params, 'TrafficMirrorSessionId'));
  const targetId = optionalString(params, 'TrafficMirrorTargetId');
  const filterId = optionalString(params, 'TrafficMirrorFilterId');
  const sessionNumber = integerInRange(params, 'SessionNumber', 1, 32766);
  const packetLength = integerInRange(params, 'PacketLength', 1, 8500);
  const virtualNetworkId = integerInRange(params, 'VirtualNetworkId', 0, 16777215);
  const description = optionalString(params, 'Description');
  const remove = stringList(params, 'RemoveField');
  for (const field of remove) {
    if (!REMOVABLE_FIELDS.includes(field))
      throw invalidValue(`RemoveField value '${field}' is invalid; expected one of ${REMOVABLE_FIELDS.join(', ')}.`);
  }
  const clash = (field: string, value: unknown) => value !== undefined && remove.includes(field);
  if (
    clash('packet-length', packetLength) ||
    clash('description', description) ||
    clash('virtual-network-id', virtualNetworkId)
  ) {
    throw new ApiError('InvalidParameterCombination', 'A field cannot be both set and listed in RemoveField.');
  }
  const target = targetId !== undefined ? targetOf(account, targetId) : undefined;
  if (filterId !== undefined) filterOf(account, filterId);
  if (sessionNumber !== undefined)
    checkSessionNumberFree(account, session.networkInterfaceId, sessionNumber, session.id);
  if (target && target.id !== session.targetId) checkTargetCapacity(account, target, session.networkInterfaceId);
  if (dryRunRequested(params)) throw dryRunSucceeded();

  if (target) session.targetId = target.id;
  if (filterId !== undefined) session.filterId = filterId;
  if (sessionNumber !== undefined) session.sessionNumber = sessionNumber;
  if (packetLength !== undefined) session.packetLength = packetLength;
  if (virtualNetworkId !== undefined) session.virtualNetworkId = virtualNetworkId;
  if (description !== undefined) session.description = description;
  if (remove.includes('packet-length')) session.packetLength = undefined;
  if (remove.includes('description')) session.description = undefined;
  if (remove.includes('virtual-network-id')) session.virtualNetworkId = account.newVirtualNetworkId();
  return [element('trafficMirrorSession', renderSession(session, account.accountId))];
}

function deleteTrafficMirrorSession(params: Params, { account, faults }: Ec2Context): Child[] {
  const session = sessionOf(account, requiredString(params, 'TrafficMirrorSessionId'));
  if (dryRunRequested(params)) throw dryRunSucceeded();
  account.sessions.delete(session.id);
  faults.sessionDeleted(session);
  return [text('trafficMirrorSessionId', session.id)];
}

// ---- tags -------------------------------------------------------------------------------------

function taggable(account: Account, id: string): { tags: Tags } {
  const kinds: [string, Map<string, { tags: Tags }>, string, string][] = [
    ['tms', account.sessions, SESSION_NOT_FOUND, 'traffic mirror session'],
    ['tmt', account.targets, TARGET_NOT_FOUND, 'traffic mirror target'],
    ['tmf', account.filters, FILTER_NOT_FOUND, 'traffic mirror filter'],
    ['eni', account.networkInterfaces, 'InvalidNetworkInterfaceID.NotFound', 'networkInterface'],
    ['i', account.instances, 'InvalidInstanceID.NotFound', 'instance'],
  ];
  for (const [prefix, resources, code, noun] of kinds) {
    if (!new RegExp(`^${prefix}-[0-9a-z]+$`).test(id)) continue;
    const resource = resources.get(id);
    if (!resource) throw notFound(code, noun, [id]);
    return resource;
  }
  throw new ApiError('InvalidID', `The ID '${id}' is not valid`);
}

function resourcesToTag(params: Params, account: Account): { tags: Tags }[] {
  const ids = stringList(params, 'ResourceId');
  if (ids.length === 0) throw missingParameter('ResourceId');
  return ids.map((id) => taggable(account, id));
}

function createTags(params: Params, { account }: Ec2Context): Child[] {
  const resources = resourcesToTag(params, account);
  const tags = readTags(params, 'Tag', true);
  if (tags.length === 0) throw missingParameter('Tag');
  for (const resource of resources) {
    const keys = new Set([...Object.keys(resource.tags), ...tags.map((t) => t.key)]);
    if (keys.size > MAX_TAGS) throw new ApiError('TagLimitExceeded', `A resource has at most ${MAX_TAGS} tags`);
  }
  if (dryRunRequested(params)) throw dryRunSucceeded();
  for (const resource of resources) for (const tag of tags) resource.tags[tag.key] = tag.value ?? '';
  return [text('return', true)];
}

/** A tag given with a value is removed only when the value matches; no tags at all removes every tag. */
function deleteTags(params: Params, { account }: Ec2Context): Child[] {
  const resources = resourcesToTag(params, account);
  const tags = readTags(params, 'Tag', false);
  if (dryRunRequested(params)) throw dryRunSucceeded();
  for (const resource of resources) {
    if (tags.length === 0) {
      for (const key of Object.keys(resource.tags)) delete resource.tags[key];
      continue;
    }
    for (const tag of tags) {
      if (tag.value === undefined || resource.tags[tag.key] === tag.value) delete resource.tags[tag.key];
    }
  }
  return [text('return', true)];
}

export const EC2_ACTIONS: Record<string, Ec2Handler> = {
  DescribeInstances: describeInstances,
  DescribeNetworkInterfaces: describeNetworkInterfaces,
  DescribeTrafficMirrorSessions: describeTrafficMirrorSessions,
  DescribeTrafficMirrorTargets: describeTrafficMirrorTargets,
  DescribeTrafficMirrorFilters: describeTrafficMirrorFilters,
  DescribeSecurityGroups: describeSecurityGroups,
  DescribeVpcs: describeVpcs,
  CreateTrafficMirrorSession: createTrafficMirrorSession,
  ModifyTrafficMirrorSession: modifyTrafficMirrorSession,
  DeleteTrafficMirrorSession: deleteTrafficMirrorSession,
  CreateTags: createTags,
  DeleteTags: deleteTags,
};
