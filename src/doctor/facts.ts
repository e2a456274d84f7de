import type { Instance, Session, TargetKind, Tags } from '../mirroring/types.ts';

/**
 * What `autotap doctor` learns about the account, as plain data: the checks (checks.ts) judge it
 * against the configuration without calling AWS, so each misconfiguration is tested directly.
 */

/**
 * One fact as read from AWS: its value, or why it could not be read. `action` is the IAM action the
 * caller lacked when AWS refused the call, so that the check can say which permission to add.
 */
export type Fact<T> = { read: true; value: T } | { read: false; reason: string; action?: string };

export const known = <T>(value: T): Fact<T> => ({ read: true, value });

export interface FilterRuleFacts {
  direction: 'ingress' | 'egress';
  action: 'accept' | 'reject';
  ruleNumber: number;
}

export interface FilterFacts {
  trafficMirrorFilterId: string;
  rules: FilterRuleFacts[];
}

export interface TargetFacts {
  trafficMirrorTargetId: string;
  kind: TargetKind;
  networkInterfaceId?: string;
  networkLoadBalancerArn?: string;
  gatewayLoadBalancerEndpointId?: string;
  tags: Tags;
}

/** One inbound rule of a security group, as far as UDP 4789 is concerned. */
export interface InboundRuleFacts {
  /** `udp`, `tcp`, `icmp`, or `-1` for every protocol (EC2's IpProtocol, numbers as names). */
  protocol: string;
  /** Absent when the rule covers every port (protocol -1). */
  fromPort?: number;
  toPort?: number;
  cidrs: string[];
  groupIds: string[];
}

export interface SecurityGroupFacts {
  groupId: string;
  inbound: InboundRuleFacts[];
}

/** The ENI behind an ENI target: where it is and which groups guard it. */
export interface TargetInterfaceFacts {
  networkInterfaceId: string;
  availabilityZone: string;
  vpcId?: string;
  securityGroupIds: string[];
}

/** A VPC's IPv4 CIDR blocks (the primary and any associated ones). */
export interface VpcFacts {
  vpcId: string;
  cidrs: string[];
}

export interface ListenerFacts {
  protocol: string;
  port: number;
}

export interface LoadBalancerFacts {
  arn: string;
  type: string;
  availabilityZones: string[];
  listeners: ListenerFacts[];
}

export interface BasicEventSelectorFacts {
  includeManagementEvents: boolean;
  readWriteType: 'ReadOnly' | 'WriteOnly' | 'All';
  excludeManagementEventSources: string[];
}

export interface AdvancedFieldSelectorFacts {
  field: string;
  equals?: string[];
  notEquals?: string[];
}

export interface TrailFacts {
  name: string;
  homeRegion: string;
  multiRegion: boolean;
  logging: boolean;
  /** Exactly one of the two kinds is set on a trail (CloudTrail refuses both at once). */
  eventSelectors: BasicEventSelectorFacts[];
  advancedEventSelectors: AdvancedFieldSelectorFacts[][];
}

export interface SubscriptionFacts {
  protocol: string;
  endpoint: string;
  /** SNS lists an unconfirmed subscription with the SubscriptionArn `PendingConfirmation`. */
  pendingConfirmation: boolean;
}

export interface SecretFacts {
  arn: string;
  /** Whether the secret exists (DescribeSecret found it); its value is never read. */
  exists: boolean;
  /**
   * Whether the deployed function that reads it may: undefined when the stack is not deployed or
   * the function's role could not be read.
   */
  readableByFunction?: Fact<boolean>;
}

/** The account's Lambda concurrency, and what this stage's deployed functions already reserve of it. */
export interface LambdaConcurrencyFacts {
  concurrentExecutions: number;
  unreserved: number;
  /** Reserved by the stage's functions as deployed now (0 when not deployed). */
  reservedByStage: number;
}

export interface AccountFacts {
  region: string;
  stage: string;
  filter: Fact<FilterFacts | undefined>;
  /** The filters the overrides name, by id. */
  overrideFilters: Map<string, Fact<FilterFacts | undefined>>;
  targets: Fact<TargetFacts[]>;
  /** ENIs of ENI targets, by ENI id. */
  targetInterfaces: Fact<TargetInterfaceFacts[]>;
  securityGroups: Fact<SecurityGroupFacts[]>;
  /** Load balancers behind NLB targets, by ARN. */
  loadBalancers: Fact<LoadBalancerFacts[]>;
  /** The VPCs of the in-scope instances, for where mirrored packets come from. */
  vpcs: Fact<VpcFacts[]>;
  /** Instances that can carry a session (not terminated), in the configured VPCs. */
  instances: Fact<Instance[]>;
  sessions: Fact<Session[]>;
  trails: Fact<TrailFacts[]>;
  /** Names of autotap's state machines of this stage that exist. */
  stateMachines: Fact<string[]>;
  /** The ops topic's subscriptions; undefined value: the topic does not exist (not deployed). */
  opsSubscriptions: Fact<SubscriptionFacts[] | undefined>;
  secrets: Fact<SecretFacts[]>;
  lambdaConcurrency: Fact<LambdaConcurrencyFacts>;
}
