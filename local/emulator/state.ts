import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import {
  filterSeedSchema,
  type FilterSeed,
  instanceSeedSchema,
  sessionSeedSchema,
  standaloneNetworkInterfaceSeedSchema,
  targetSeedSchema,
  type InstanceSeed,
  type NetworkInterfaceSeed,
  type ParsedEmulatorSeed,
  type SessionSeed,
  type TrailSeed,
  type TargetSeed,
} from './seed.ts';
import { supportsMirroring } from '../../src/mirroring/instance-types.ts';
import { Queues } from './sqs.ts';
import { Secrets } from './secrets.ts';

/** The emulated account: EC2 resources, SNS topics and what was published, SQS queues and secrets. */

export type Tags = Record<string, string>;
export type InstanceStateName = 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';

export const INSTANCE_STATE_CODES: Record<InstanceStateName, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

export interface InstanceRecord {
  id: string;
  reservationId: string;
  instanceType: string;
  state: InstanceStateName;
  availabilityZone: string;
  vpcId?: string;
  subnetId?: string;
  tags: Tags;
  launchTime: string;
  /** Clock time the emulator learnt of it: the start of its eventual-consistency window. */
  createdAt: number;
}

export interface AttachmentRecord {
  instanceId: string;
  deviceIndex: number;
  attachmentId: string;
  deleteOnTermination: boolean;
  attachTime: string;
}

export interface NetworkInterfaceRecord {
  id: string;
  interfaceType: string;
  availabilityZone: string;
  subnetId?: string;
  vpcId?: string;
  description?: string;
  /** Set for a requester-managed ENI: the service that created it. */
  requesterId?: string;
  securityGroupIds: string[];
  tags: Tags;
  attachment?: AttachmentRecord;
  createdAt: number;
}

export interface TargetRecord {
  id: string;
  type: 'network-interface' | 'network-load-balancer' | 'gateway-load-balancer-endpoint';
  availabilityZone?: string;
  networkInterfaceId?: string;
  networkLoadBalancerArn?: string;
  gatewayLoadBalancerEndpointId?: string;
  /** Undefined: unlimited sources. */
  maxSources?: number;
  description?: string;
  tags: Tags;
}

export interface FilterRuleRecord {
  id: string;
  direction: 'ingress' | 'egress';
  ruleNumber: number;
  action: 'accept' | 'reject';
  protocol?: number;
  sourceCidrBlock: string;
  destinationCidrBlock: string;
}

export interface FilterRecord {
  id: string;
  description?: string;
  tags: Tags;
  rules: FilterRuleRecord[];
}

export interface SecurityGroupRecord {
  id: string;
  name: string;
  vpcId?: string;
  inbound: { protocol: string; fromPort?: number; toPort?: number; cidrs: string[]; groupIds: string[] }[];
}

export interface LoadBalancerRecord {
  arn: string;
  name: string;
  type: 'network' | 'application' | 'gateway';
  availabilityZones: string[];
  listeners: { arn: string; protocol: string; port: number }[];
  createdAt: number;
}

export interface RoleRecord {
  name: string;
  arn: string;
  policies: { name: string; statements: { effect: 'Allow' | 'Deny'; actions: string[]; resources: string[] }[] }[];
}

export interface FunctionRecord {
  name: string;
  arn: string;
  roleArn: string;
  /** Lambda's ReservedConcurrentExecutions; undefined: the function draws on the unreserved pool. */
  reservedConcurrency?: number;
}

export type TrailRecord = Omit<TrailSeed, 'homeRegion'> & { homeRegion: string; arn: string };

export interface SessionRecord {
  id: string;
  networkInterfaceId: string;
  targetId: string;
  filterId: string;
  sessionNumber: number;
  packetLength?: number;
  virtualNetworkId: number;
  description?: string;
  tags: Tags;
}

/**
 * What an account of an emulated organization sees of the others (local/emulator/organization.ts):
 * the targets shared with it through RAM, and the sessions other accounts made on its own targets,
 * which AWS shows the target's owner (https://docs.aws.amazon.com/vpc/latest/mirroring/cross-account-traffic-mirroring-targets.html).
 */
export interface AccountPeers {
  sharedTargets(): { target: TargetRecord; ownerId: string }[];
  /** The sessions of the other accounts (in the same Region) that mirror to the target. */
  sessionsElsewhereOn(targetId: string): { session: SessionRecord; ownerId: string }[];
}

export interface MessageAttribute {
  dataType: string;
  value: string;
}

export interface PublishedMessage {
  topicArn: string;
  subject?: string;
  message: string;
  messageAttributes: Record<string, MessageAttribute>;
  messageStructure?: string;
  messageId: string;
  /** The entry id when the message came from PublishBatch. */
  batchEntryId?: string;
  messageGroupId?: string;
  messageDeduplicationId?: string;
}

export interface SubscriptionRecord {
  subscriptionArn: string;
  topicArn: string;
  protocol: string;
  endpoint?: string;
  /** Until the endpoint confirms, SNS lists the subscription's ARN as `PendingConfirmation`. */
  pendingConfirmation?: boolean;
  /** The FilterPolicy attribute as set, JSON text. */
  filterPolicy?: string;
}

/** Thrown by the programmatic API for impossible requests (the HTTP API answers ApiError instead). */
export class EmulatorStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmulatorStateError';
  }
}

export const hexId = (prefix: string): string => `${prefix}-${randomBytes(9).toString('hex').slice(0, 17)}`;

function globToRegExp(glob: string): RegExp {
  const source = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 's');
}

export class Account {
  readonly region: string;
  readonly accountId: string;
  accountSessionLimit: number;
  /** Lambda's concurrent executions in the account and region (GetAccountSettings). */
  lambdaConcurrentExecutions: number;
  /** SNS's filter policies per topic, past which Subscribe is refused. */
  snsFilterPoliciesPerTopic: number;
  readonly instances = new Map<string, InstanceRecord>();
  readonly networkInterfaces = new Map<string, NetworkInterfaceRecord>();
  readonly targets = new Map<string, TargetRecord>();
  readonly filters = new Map<string, FilterRecord>();
  readonly securityGroups = new Map<string, SecurityGroupRecord>();
  readonly vpcs = new Map<string, { id: string; cidrs: string[] }>();
  readonly loadBalancers = new Map<string, LoadBalancerRecord>();
  readonly trails: TrailRecord[] = [];
  readonly roles: RoleRecord[] = [];
  readonly functions = new Map<string, FunctionRecord>();
  readonly sessions = new Map<string, SessionRecord>();
  readonly topics = new Map<string, { arn: string; name: string }>();
  readonly subscriptions: SubscriptionRecord[] = [];
  readonly published: PublishedMessage[] = [];
  readonly queues: Queues;
  readonly secrets: Secrets;
  /** `Action:token` → the request fingerprint and what the first request returned. */
  readonly clientTokens = new Map<string, { fingerprint: string; session: SessionRecord }>();
  /** Set when the account is one of an emulated organization's. */
  peers?: AccountPeers;
  /** How the emulator answers what EC2 does not document (see seed.ts). */
  undocumented: ParsedEmulatorSeed['undocumented'];
  private unsupported: RegExp[];
  private readonly now: () => number;

  constructor(seed: ParsedEmulatorSeed, now: () => number) {
    this.region = seed.region;
    this.accountId = seed.accountId;
    this.accountSessionLimit = seed.accountSessionLimit;
    this.lambdaConcurrentExecutions = seed.lambdaConcurrentExecutions;
    this.snsFilterPoliciesPerTopic = seed.snsFilterPoliciesPerTopic;
    this.unsupported = seed.unsupportedInstanceTypes.map(globToRegExp);
    this.undocumented = { ...seed.undocumented };
    this.now = now;
    for (const eni of seed.networkInterfaces) this.addNetworkInterface(eni);
    for (const instance of seed.instances) this.addInstance(instance);
    for (const target of seed.targets) this.addTarget(target);
    for (const filter of seed.filters) this.addFilter(filter);
    for (const vpc of seed.vpcs) this.vpcs.set(vpc.id, { id: vpc.id, cidrs: [...vpc.cidrs] });
    for (const group of seed.securityGroups) {
      this.securityGroups.set(group.id, {
        id: group.id,
        name: group.name ?? group.id,
        vpcId: group.vpcId,
        inbound: group.inbound.map((r) => ({ ...r })),
      });
    }
    for (const balancer of seed.loadBalancers) {
      const [, , , , , resource = ''] = balancer.arn.split(':');
      const [, , name = '', suffix = ''] = resource.split('/');
      this.loadBalancers.set(balancer.arn, {
        arn: balancer.arn,
        name,
        type: balancer.type,
        availabilityZones: [...balancer.availabilityZones],
        listeners: balancer.listeners.map((l, i) => ({
          ...l,
          arn: balancer.arn.replace(':loadbalancer/', ':listener/') + `/${suffix.slice(0, 15)}${i}`,
        })),
        createdAt: now(),
      });
    }
    for (const role of seed.roles)
      this.roles.push({
        name: role.name,
        arn: `arn:aws:iam::${this.accountId}:role/${role.name}`,
        policies: structuredClone(role.policies),
      });
    for (const fn of seed.functions) {
      this.functions.set(fn.name, {
        name: fn.name,
        arn: `arn:aws:lambda:${this.region}:${this.accountId}:function:${fn.name}`,
        roleArn: `arn:aws:iam::${this.accountId}:role/${fn.role}`,
        ...(fn.reservedConcurrency === undefined ? {} : { reservedConcurrency: fn.reservedConcurrency }),
      });
    }
    for (const trail of seed.trails) {
      const homeRegion = trail.homeRegion ?? this.region;
      this.trails.push({
        ...trail,
        homeRegion,
        arn: `arn:aws:cloudtrail:${homeRegion}:${this.accountId}:trail/${trail.name}`,
      });
    }
    for (const session of seed.sessions) this.addSession(session);
    for (const topic of seed.topics) this.createTopic(topic);
    for (const s of seed.subscriptions) {
      const topicArn = this.topicArn(s.topic);
      if (!this.topics.has(topicArn))
        throw new EmulatorStateError(`subscription to ${s.topic}: no such topic in topics`);
      this.subscriptions.push({
        subscriptionArn: `${topicArn}:${randomUUID()}`,
        topicArn,
        protocol: s.protocol,
        endpoint: s.endpoint,
        pendingConfirmation: s.pendingConfirmation,
        ...(s.filterPolicy === undefined ? {} : { filterPolicy: JSON.stringify(s.filterPolicy) }),
      });
    }
    this.queues = new Queues(now);
    for (const queue of seed.queues) this.queues.create(queue);
    this.secrets = new Secrets(this.region, this.accountId, now);
    for (const secret of seed.secrets) this.secrets.put(secret.arn ?? secret.name ?? '', secret.value);
  }

  /** What the account's functions reserve of its Lambda concurrency. */
  reservedLambdaConcurrency(): number {
    return [...this.functions.values()].reduce((sum, fn) => sum + (fn.reservedConcurrency ?? 0), 0);
  }

  addFilter(input: FilterSeed): FilterRecord {
    const seed = filterSeedSchema.parse(input);
    const filter: FilterRecord = {
      id: seed.id,
      description: seed.description,
      tags: { ...seed.tags },
      rules: seed.rules.map((r) => ({ ...r, id: hexId('tmfr') })),
    };
    this.filters.set(filter.id, filter);
    return filter;
  }

  setUnsupportedInstanceTypes(patterns: string[]): void {
    this.unsupported = patterns.map(globToRegExp);
  }

  /** AWS's published support (always), plus any types the scenario also refuses. */
  isUnsupportedInstanceType(instanceType: string): boolean {
    return !supportsMirroring(instanceType) || this.unsupported.some((pattern) => pattern.test(instanceType));
  }

  private defaultZone(): string {
    return `${this.region}a`;
  }

  addInstance(input: InstanceSeed): InstanceRecord {
    const seed = instanceSeedSchema.parse(input);
    if (this.instances.has(seed.id)) throw new EmulatorStateError(`instance ${seed.id} already exists`);
    for (const eni of seed.networkInterfaces) {
      if (this.networkInterfaces.has(eni.id))
        throw new EmulatorStateError(`network interface ${eni.id} already exists`);
    }
    const now = this.now();
    const launchTime = seed.launchTime ? new Date(seed.launchTime).toISOString() : new Date(now).toISOString();
    const instance: InstanceRecord = {
      id: seed.id,
      reservationId: hexId('r'),
      instanceType: seed.instanceType,
      state: seed.state,
      availabilityZone: seed.availabilityZone ?? this.defaultZone(),
      vpcId: seed.vpcId,
      subnetId: seed.subnetId,
      tags: { ...seed.tags },
      launchTime,
      createdAt: now,
    };
    this.instances.set(instance.id, instance);
    seed.networkInterfaces.forEach((eni, position) => {
      const record: NetworkInterfaceRecord = {
        id: eni.id,
        interfaceType: eni.interfaceType,
        availabilityZone: instance.availabilityZone,
        subnetId: eni.subnetId ?? instance.subnetId,
        vpcId: eni.vpcId ?? instance.vpcId,
        description: eni.description,
        securityGroupIds: [...eni.securityGroupIds],
        tags: { ...eni.tags },
        createdAt: now,
      };
      this.networkInterfaces.set(eni.id, record);
      this.attach(record, {
        instanceId: instance.id,
        deviceIndex: eni.deviceIndex ?? position,
        attachmentId: hexId('eni-attach'),
        deleteOnTermination: eni.deleteOnTermination,
        attachTime: launchTime,
      });
    });
    return instance;
  }

  addNetworkInterface(input: NetworkInterfaceSeed): NetworkInterfaceRecord {
    const seed = standaloneNetworkInterfaceSeedSchema.parse(input);
    if (this.networkInterfaces.has(seed.id))
      throw new EmulatorStateError(`network interface ${seed.id} already exists`);
    const eni: NetworkInterfaceRecord = {
      id: seed.id,
      interfaceType: seed.interfaceType,
      availabilityZone: seed.availabilityZone ?? this.defaultZone(),
      subnetId: seed.subnetId,
      vpcId: seed.vpcId,
      description: seed.description,
      ...(seed.requesterId ? { requesterId: seed.requesterId } : {}),
      securityGroupIds: [...seed.securityGroupIds],
      tags: { ...seed.tags },
      createdAt: this.now(),
    };
    this.networkInterfaces.set(eni.id, eni);
    return eni;
  }

  addTarget(input: TargetSeed): TargetRecord {
    const seed = targetSeedSchema.parse(input);
    if (this.targets.has(seed.id)) throw new EmulatorStateError(`target ${seed.id} already exists`);
    const target: TargetRecord = {
      id: seed.id,
      type: seed.type,
      availabilityZone: seed.availabilityZone,
      description: seed.description,
      tags: { ...seed.tags },
    };
    if (seed.type === 'network-interface') {
      target.networkInterfaceId = seed.networkInterfaceId ?? hexId('eni');
      target.maxSources = seed.maxSources ?? 10;
    } else if (seed.type === 'network-load-balancer') {
      target.networkLoadBalancerArn =
        seed.networkLoadBalancerArn ??
        `arn:aws:elasticloadbalancing:${this.region}:${this.accountId}:loadbalancer/net/${seed.id}/${randomBytes(8).toString('hex')}`;
    } else {
      target.gatewayLoadBalancerEndpointId = seed.gatewayLoadBalancerEndpointId ?? hexId('vpce');
    }
    this.targets.set(target.id, target);
    return target;
  }

  addSession(input: SessionSeed): SessionRecord {
    const seed = sessionSeedSchema.parse(input);
    if (!this.networkInterfaces.has(seed.networkInterfaceId))
      throw new EmulatorStateError(`no network interface ${seed.networkInterfaceId}`);
    if (!this.visibleTarget(seed.targetId)) throw new EmulatorStateError(`no target ${seed.targetId}`);
    if (!this.filters.has(seed.filterId)) throw new EmulatorStateError(`no filter ${seed.filterId}`);
    const id = seed.id ?? this.newSessionId();
    if (this.sessions.has(id)) throw new EmulatorStateError(`session ${id} already exists`);
    const session: SessionRecord = {
      id,
      networkInterfaceId: seed.networkInterfaceId,
      targetId: seed.targetId,
      filterId: seed.filterId,
      sessionNumber: seed.sessionNumber,
      packetLength: seed.packetLength,
      virtualNetworkId: seed.virtualNetworkId ?? this.newVirtualNetworkId(),
      description: seed.description,
      tags: { ...seed.tags },
    };
    this.sessions.set(id, session);
    return session;
  }

  newSessionId(): string {
    for (;;) {
      const id = hexId('tms');
      if (!this.sessions.has(id)) return id;
    }
  }

  /** AWS picks a random VNI that no other session of the account uses. */
  newVirtualNetworkId(): number {
    // One pass per draw, without copying every session (this runs once per create).
    const taken = (vni: number) => {
      for (const s of this.sessions.values()) if (s.virtualNetworkId === vni) return true;
      return false;
    };
    for (;;) {
      const vni = randomInt(1, 16_777_216);
      if (!taken(vni)) return vni;
    }
  }

  sessionsOf(networkInterfaceId: string): SessionRecord[] {
    return [...this.sessions.values()].filter((s) => s.networkInterfaceId === networkInterfaceId);
  }

  /** Distinct source ENIs mirrored to a target, from every account: what its source limit counts. */
  sourcesOf(targetId: string): Set<string> {
    const own = [...this.sessions.values()].filter((s) => s.targetId === targetId).map((s) => s.networkInterfaceId);
    const elsewhere = (this.peers?.sessionsElsewhereOn(targetId) ?? []).map(
      ({ session, ownerId }) => `${ownerId}/${session.networkInterfaceId}`,
    );
    return new Set([...own, ...elsewhere]);
  }

  /** A target this account may use: its own, or one shared with it; with the account that owns it. */
  visibleTarget(id: string): { target: TargetRecord; ownerId: string } | undefined {
    const own = this.targets.get(id);
    if (own) return { target: own, ownerId: this.accountId };
    return this.peers?.sharedTargets().find((shared) => shared.target.id === id);
  }

  /** Every target this account sees in DescribeTrafficMirrorTargets: its own, then those shared with it. */
  visibleTargets(): { target: TargetRecord; ownerId: string }[] {
    return [
      ...[...this.targets.values()].map((target) => ({ target, ownerId: this.accountId })),
      ...(this.peers?.sharedTargets() ?? []),
    ];
  }

  /** The ENI behind a network-interface target, if `networkInterfaceId` is one. */
  targetUsingInterface(networkInterfaceId: string): TargetRecord | undefined {
    return [...this.targets.values()].find(
      (t) => t.type === 'network-interface' && t.networkInterfaceId === networkInterfaceId,
    );
  }

  /** ENIs by the instance they are attached to: describing 20,000 instances asks once per instance. */
  private readonly attachedTo = new Map<string, Set<NetworkInterfaceRecord>>();

  /** Every change of an ENI's attachment goes through here, so that `attachedTo` stays true. */
  private attach(eni: NetworkInterfaceRecord, attachment: AttachmentRecord | undefined): void {
    if (eni.attachment) this.attachedTo.get(eni.attachment.instanceId)?.delete(eni);
    eni.attachment = attachment;
    if (attachment) {
      const enis = this.attachedTo.get(attachment.instanceId) ?? new Set<NetworkInterfaceRecord>();
      enis.add(eni);
      this.attachedTo.set(attachment.instanceId, enis);
    }
  }

  interfacesOf(instanceId: string): NetworkInterfaceRecord[] {
    return [...(this.attachedTo.get(instanceId) ?? [])].sort(
      (a, b) => (a.attachment?.deviceIndex ?? 0) - (b.attachment?.deviceIndex ?? 0),
    );
  }

  private instance(id: string): InstanceRecord {
    const instance = this.instances.get(id);
    if (!instance) throw new EmulatorStateError(`no instance ${id}`);
    return instance;
  }

  private networkInterface(id: string): NetworkInterfaceRecord {
    const eni = this.networkInterfaces.get(id);
    if (!eni) throw new EmulatorStateError(`no network interface ${id}`);
    return eni;
  }

  stopInstance(id: string): void {
    const instance = this.instance(id);
    if (instance.state === 'terminated') throw new EmulatorStateError(`instance ${id} is terminated`);
    instance.state = 'stopped';
  }

  /** Every start is a new launch: EC2 reports a new launchTime. */
  startInstance(id: string): void {
    const instance = this.instance(id);
    if (instance.state === 'terminated') throw new EmulatorStateError(`instance ${id} is terminated`);
    instance.state = 'running';
    instance.launchTime = new Date(Math.max(this.now(), Date.parse(instance.launchTime) + 1000)).toISOString();
  }

  /**
   * ENIs with deleteOnTermination go, taking their sessions with them; the others survive detached
   * and keep their (still billed) sessions. The instance stays describable as `terminated`.
   */
  terminateInstance(id: string): void {
    const instance = this.instance(id);
    instance.state = 'terminated';
    for (const eni of this.interfacesOf(id)) {
      if (eni.attachment?.deleteOnTermination) this.deleteNetworkInterface(eni.id);
      else this.attach(eni, undefined);
    }
  }

  detachNetworkInterface(id: string): void {
    const eni = this.networkInterface(id);
    if (!eni.attachment) throw new EmulatorStateError(`network interface ${id} is not attached`);
    this.attach(eni, undefined);
  }

  attachNetworkInterface(id: string, instanceId: string, deviceIndex: number): void {
    const eni = this.networkInterface(id);
    const instance = this.instance(instanceId);
    if (eni.attachment)
      throw new EmulatorStateError(`network interface ${id} is attached to ${eni.attachment.instanceId}`);
    if (instance.state === 'terminated') throw new EmulatorStateError(`instance ${instanceId} is terminated`);
    if (this.interfacesOf(instanceId).some((other) => other.attachment?.deviceIndex === deviceIndex)) {
      throw new EmulatorStateError(
        `instance ${instanceId} already has a network interface at device index ${deviceIndex}`,
      );
    }
    this.attach(eni, {
      instanceId,
      deviceIndex,
      attachmentId: hexId('eni-attach'),
      deleteOnTermination: false,
      attachTime: new Date(this.now()).toISOString(),
    });
  }

  /** Deleting a source ENI deletes its sessions, as AWS does. An attached ENI is detached first. */
  deleteNetworkInterface(id: string): void {
    this.attach(this.networkInterface(id), undefined);
    this.networkInterfaces.delete(id);
    for (const session of this.sessionsOf(id)) this.sessions.delete(session.id);
  }

  topicArn(nameOrArn: string): string {
    return nameOrArn.startsWith('arn:') ? nameOrArn : `arn:aws:sns:${this.region}:${this.accountId}:${nameOrArn}`;
  }

  /** Idempotent, like SNS CreateTopic. */
  createTopic(nameOrArn: string): string {
    const arn = this.topicArn(nameOrArn);
    if (!this.topics.has(arn)) this.topics.set(arn, { arn, name: arn.slice(arn.lastIndexOf(':') + 1) });
    return arn;
  }
}
