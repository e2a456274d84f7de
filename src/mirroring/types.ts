/** The mirroring domain: plain data, no AWS types. */

export type Tags = Record<string, string>;

export interface Instance {
  instanceId: string;
  instanceType: string;
  state: string;
  availabilityZone: string;
  vpcId?: string;
  subnetId?: string;
  /** ISO time of the current launch (changes on every start): part of the session's idempotency token. */
  launchTime?: string;
  tags: Tags;
  networkInterfaces: NetworkInterface[];
  /**
   * Set when this source is no instance but one ENI of an Application or Classic Load Balancer
   * (`mirroring.sources.loadBalancers`): the load balancer as its ENI's description names it
   * (`app/<name>/<id>`, or a Classic one's name). `instanceId` is then empty.
   */
  loadBalancer?: string;
  /**
   * Set when this source is no instance but one requester-managed ENI of another AWS service, such
   * as an RDS DB instance's (`mirroring.sources.requesterManaged`): the requester ID EC2 reports for
   * it. `instanceId` is then empty.
   */
  requester?: string;
}

/** What an ENI on no instance stands for, as every result, action and event about it carries it. */
export type ServiceLabel = Pick<Instance, 'loadBalancer' | 'requester'>;

/** The `sources` kind a source on no instance belongs to, or undefined for an instance's ENI. */
export function serviceKindOf(source: ServiceLabel): 'loadBalancers' | 'requesterManaged' | undefined {
  if (source.loadBalancer) return 'loadBalancers';
  return source.requester ? 'requesterManaged' : undefined;
}

/** Only the label fields that are set, to spread into a result, an action or an event. */
export function serviceLabel(source: ServiceLabel): ServiceLabel {
  if (source.loadBalancer) return { loadBalancer: source.loadBalancer };
  return source.requester ? { requester: source.requester } : {};
}

/** How a person reads the source: the instance, or what the ENI on no instance belongs to. */
export function sourceName(source: ServiceLabel & { instanceId: string }): string {
  if (source.loadBalancer) return `load balancer ${source.loadBalancer}`;
  return source.requester ? `requester-managed ENI of ${source.requester}` : source.instanceId;
}

export interface NetworkInterface {
  networkInterfaceId: string;
  interfaceType: string;
  deviceIndex: number;
  subnetId?: string;
  vpcId?: string;
}

export type TargetKind = 'network-interface' | 'network-load-balancer' | 'gateway-load-balancer-endpoint';

export interface Target {
  trafficMirrorTargetId: string;
  kind: TargetKind;
  /** Undefined for targets that serve every zone (load balancers without a configured zone). */
  availabilityZone?: string;
  /** Sources the target takes; undefined = unlimited (NLB, GWLB endpoint). */
  maxSources?: number;
  /** The ENI behind an ENI target: such an ENI can never be a mirror source. */
  networkInterfaceId?: string;
  /** The account that owns it, as EC2 describes it: another account's when RAM shares it. */
  ownerId?: string;
  tags: Tags;
}

export interface Session {
  trafficMirrorSessionId: string;
  networkInterfaceId: string;
  trafficMirrorTargetId: string;
  trafficMirrorFilterId: string;
  sessionNumber: number;
  /** As EC2 describes it (null: whole packets); absent when not known, which repairs nothing. */
  packetLength?: number | null;
  /** As EC2 describes it; absent when not known. */
  virtualNetworkId?: number;
  /**
   * The account that made it, as EC2 describes it. A target's owner also sees the sessions other
   * accounts made on its target: they count towards its load, and are never the owner's to change.
   */
  ownerId?: string;
  tags: Tags;
}

/** What a modify of a session changes; a field left out stays as it is. */
export interface SessionChange {
  trafficMirrorTargetId?: string;
  trafficMirrorFilterId?: string;
  sessionNumber?: number;
  /** null: mirror whole packets again. */
  packetLength?: number | null;
  virtualNetworkId?: number;
}

export const MANAGED_TAG = 'autotap:managed';
export const INSTANCE_TAG = 'autotap:instance-id';
export const LOAD_BALANCER_TAG = 'autotap:load-balancer';
export const REQUESTER_TAG = 'autotap:requester-id';
/** On the filter a member template creates in each member account: its value is the stage. */
export const FILTER_TAG = 'autotap:filter';

/**
 * Every tag key autotap writes on a session it creates. The session-creating roles may create
 * sessions with these keys only (`aws:TagKeys` in deploy/roles.ts), so a key added here reaches IAM too.
 */
export const SESSION_TAG_KEYS = [MANAGED_TAG, INSTANCE_TAG, LOAD_BALANCER_TAG, REQUESTER_TAG] as const;
export type SessionTagKey = (typeof SESSION_TAG_KEYS)[number];

/** The tags of a session autotap creates for an instance's ENI, a load balancer's or another service's. */
export function sessionTags(source: ServiceLabel & { instanceId: string }): Partial<Record<SessionTagKey, string>> {
  if (source.loadBalancer) return { [MANAGED_TAG]: 'true', [LOAD_BALANCER_TAG]: source.loadBalancer };
  if (source.requester) return { [MANAGED_TAG]: 'true', [REQUESTER_TAG]: source.requester };
  return { [MANAGED_TAG]: 'true', [INSTANCE_TAG]: source.instanceId };
}

/** What a session of autotap's mirrors when it is no instance's ENI, read back from its tags. */
export function serviceLabelOf(session: Pick<Session, 'tags'>): ServiceLabel {
  return serviceLabel({
    ...(session.tags[LOAD_BALANCER_TAG] ? { loadBalancer: session.tags[LOAD_BALANCER_TAG] } : {}),
    ...(session.tags[REQUESTER_TAG] ? { requester: session.tags[REQUESTER_TAG] } : {}),
  });
}

/**
 * How autotap recognises a session it created: its tag, which it sets on create (and which its IAM
 * policy requires on create and on delete). EC2 documents no tag filter for sessions, so code matches it.
 */
export function isManagedSession(session: Pick<Session, 'tags'>): boolean {
  return session.tags[MANAGED_TAG] === 'true';
}

export const SKIP_REASONS = [
  'out-of-scope',
  'excluded-by-tag',
  'interface-type',
  'is-mirror-target',
  'unsupported',
  'session-limit',
  'no-session-number',
  'no-target',
  'target-full',
  'not-found',
  'dry-run',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export type Outcome = 'created' | 'already-mirrored' | 'skipped' | 'failed';

/** One line of the workflow's output: what happened to one ENI. */
export interface EniResult extends ServiceLabel {
  /** Empty for an ENI on no instance (its label says whose it is). */
  instanceId: string;
  networkInterfaceId: string;
  outcome: Outcome;
  /** Why, when skipped (a SkipReason) or failed (autotap's word for AWS's refusal, or the AWS code). */
  reason?: string;
  sessionNumber?: number;
  trafficMirrorSessionId?: string;
  trafficMirrorTargetId?: string;
}

/** An ENI the workflow will attach a session to, with every decision already taken. */
export interface Attachment extends ServiceLabel {
  /** Empty for an ENI on no instance (its label says whose it is). */
  instanceId: string;
  networkInterfaceId: string;
  trafficMirrorTargetId: string;
  /** Further targets with room, best first, for when the chosen one fills up meanwhile. */
  alternativeTargetIds: string[];
  trafficMirrorFilterId: string;
  sessionNumber: number;
  /** Numbers already used on the ENI when the decision was taken. */
  usedSessionNumbers: number[];
  /** From the override that matched the instance, else the section's; absent (an older input): the section's. */
  packetLength?: number | null;
  /** The override that chose the filter and packet length, if any (for reports). */
  override?: string;
  /** The VNI of the ENI's VPC (`virtualNetworkIds`); absent: the configured `virtualNetworkId`. */
  virtualNetworkId?: number;
  launchTime?: string;
  dryRun: boolean;
}

/** What CreateTrafficMirrorSession is asked for, in the domain's words. */
export interface CreateSessionRequest {
  networkInterfaceId: string;
  trafficMirrorTargetId: string;
  trafficMirrorFilterId: string;
  sessionNumber: number;
  packetLength: number | null;
  virtualNetworkId: number | null;
  description: string;
  tags: Tags;
  clientToken: string;
  dryRun: boolean;
}
