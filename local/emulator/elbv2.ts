import { ApiError } from './errors.ts';
import { optionalInteger, optionalString, stringList, type Params } from './query.ts';
import type { Account, LoadBalancerRecord } from './state.ts';
import { element, list, text, type Child } from './xml.ts';

/**
 * Elastic Load Balancing v2 (Query protocol, Version 2015-12-01): DescribeLoadBalancers and
 * DescribeListeners, for the UDP 4789 listener of an NLB mirror target. Error codes as the API
 * reference spells them: LoadBalancerNotFound, ValidationError.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeLoadBalancers.html
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeListeners.html
 */

export const ELBV2_VERSION = '2015-12-01';
export const ELBV2_NAMESPACE = 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/';

export type Elbv2Handler = (params: Params, account: Account) => Child[];

/** PageSize: "Valid Range: Minimum value of 1. Maximum value of 400." */
const MAX_PAGE_SIZE = 400;

function page<T>(items: T[], params: Params): { items: T[]; nextMarker?: string } {
  const size = optionalInteger(params, 'PageSize') ?? MAX_PAGE_SIZE;
  if (size < 1 || size > MAX_PAGE_SIZE)
    throw new ApiError(
      'ValidationError',
      `1 validation error detected: Value '${size}' at 'pageSize' failed to satisfy constraint: Member must have value between 1 and ${MAX_PAGE_SIZE}`,
    );
  const marker = optionalString(params, 'Marker');
  const offset = marker ? Number(Buffer.from(marker, 'base64url').toString('utf8')) : 0;
  if (!Number.isInteger(offset) || offset < 0) throw new ApiError('ValidationError', 'The marker is not valid');
  const next = offset + size;
  return {
    items: items.slice(offset, next),
    ...(next < items.length ? { nextMarker: Buffer.from(String(next)).toString('base64url') } : {}),
  };
}

const notFound = (): ApiError => new ApiError('LoadBalancerNotFound', 'One or more load balancers not found');

function found<T>(item: T | undefined, error: () => ApiError): T {
  if (item === undefined) throw error();
  return item;
}

function describeLoadBalancers(params: Params, account: Account): Child[] {
  const arns = stringList(params, 'LoadBalancerArns.member');
  const names = stringList(params, 'Names.member');
  if (arns.length > 0 && names.length > 0)
    throw new ApiError(
      'ValidationError',
      'Load balancer names and load balancer ARNs cannot be specified at the same time',
    );
  let balancers: LoadBalancerRecord[];
  if (arns.length > 0) {
    balancers = arns.map((arn) => found(account.loadBalancers.get(arn), notFound));
  } else if (names.length > 0) {
    balancers = names.map((name) =>
      found(
        [...account.loadBalancers.values()].find((b) => b.name === name),
        notFound,
      ),
    );
  } else {
    balancers = [...account.loadBalancers.values()];
  }
  const { items, nextMarker } = page(balancers, params);
  return [
    list(
      'LoadBalancers',
      items,
      (b) => [
        text('LoadBalancerArn', b.arn),
        text('LoadBalancerName', b.name),
        text('Type', b.type),
        text('Scheme', 'internal'),
        element('State', [text('Code', 'active')]),
        text('CreatedTime', new Date(b.createdAt).toISOString()),
        list('AvailabilityZones', b.availabilityZones, (zone) => [text('ZoneName', zone)], 'member'),
      ],
      'member',
    ),
    text('NextMarker', nextMarker),
  ];
}

function describeListeners(params: Params, account: Account): Child[] {
  const balancerArn = optionalString(params, 'LoadBalancerArn');
  const listenerArns = stringList(params, 'ListenerArns.member');
  if (balancerArn === undefined && listenerArns.length === 0)
    throw new ApiError('ValidationError', 'You must specify either listener ARNs or a load balancer ARN');
  if (balancerArn !== undefined && listenerArns.length > 0)
    throw new ApiError('ValidationError', 'Listener ARNs and a load balancer ARN cannot be specified at the same time');
  let listeners: (LoadBalancerRecord['listeners'][number] & { balancer: string })[];
  if (balancerArn !== undefined) {
    const balancer = account.loadBalancers.get(balancerArn);
    if (!balancer) throw notFound();
    listeners = balancer.listeners.map((l) => ({ ...l, balancer: balancer.arn }));
  } else {
    const all = [...account.loadBalancers.values()].flatMap((b) => b.listeners.map((l) => ({ ...l, balancer: b.arn })));
    listeners = listenerArns.map((arn) =>
      found(
        all.find((l) => l.arn === arn),
        () => new ApiError('ListenerNotFound', 'One or more listeners not found'),
      ),
    );
  }
  const { items, nextMarker } = page(listeners, params);
  return [
    list(
      'Listeners',
      items,
      (l) => [
        text('ListenerArn', l.arn),
        text('LoadBalancerArn', l.balancer),
        text('Port', l.port),
        text('Protocol', l.protocol),
      ],
      'member',
    ),
    text('NextMarker', nextMarker),
  ];
}

export const ELBV2_ACTIONS: Record<string, Elbv2Handler> = {
  DescribeLoadBalancers: describeLoadBalancers,
  DescribeListeners: describeListeners,
};
