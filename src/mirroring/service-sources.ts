import type { MirroringConfig } from '../config/schema.ts';
import { loadBalancerOfDescription } from './load-balancers.ts';
import { serviceKindOf, type Instance, type ServiceLabel } from './types.ts';

/**
 * ENIs on no instance that may be mirror sources: the requester-managed ENIs other AWS services
 * create in the account (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/requester-managed-eni.html).
 * AWS names the ENI of an RDS DB instance as a source
 * (https://docs.aws.amazon.com/vpc/latest/mirroring/traffic-mirroring-sessions.html, "Traffic mirror
 * sources"); which ENIs are whose is told by their description and requester ID, the fields that
 * page says identify them. A load balancer's is recognised by its description (load-balancers.ts);
 * any other by the requester ID the configuration lists (`sources.requesterManaged.requesterIds`),
 * because AWS documents no list of the IDs its services use.
 */

/** What EC2 says of an ENI that the kinds need. */
export interface InterfaceFacts {
  networkInterfaceId: string;
  interfaceType: string;
  requesterManaged: boolean;
  description?: string;
  /** EC2's RequesterId: the alias or account of the service or principal that created the ENI. */
  requesterId?: string;
  availabilityZone?: string;
  subnetId?: string;
  vpcId?: string;
}

/**
 * The source a requester-managed ENI stands for, planned like an instance of one ENI (no tags, no
 * instance type, always running while it exists): a load balancer's when its description names one,
 * else the service's its requester ID names. Undefined for any ENI a person or an instance manages.
 * Whether the configuration mirrors it is `stillMirrored`'s to say.
 */
export function serviceSource(eni: InterfaceFacts): Instance | undefined {
  if (!eni.requesterManaged) return undefined;
  const loadBalancer = loadBalancerOfDescription(eni.description);
  const label: ServiceLabel = loadBalancer ? { loadBalancer } : eni.requesterId ? { requester: eni.requesterId } : {};
  if (!serviceKindOf(label)) return undefined;
  return {
    instanceId: '',
    instanceType: '',
    state: 'running',
    availabilityZone: eni.availabilityZone ?? '',
    ...(eni.vpcId ? { vpcId: eni.vpcId } : {}),
    ...(eni.subnetId ? { subnetId: eni.subnetId } : {}),
    tags: {},
    ...label,
    networkInterfaces: [
      {
        networkInterfaceId: eni.networkInterfaceId,
        interfaceType: eni.interfaceType,
        deviceIndex: 0,
        ...(eni.subnetId ? { subnetId: eni.subnetId } : {}),
        ...(eni.vpcId ? { vpcId: eni.vpcId } : {}),
      },
    ],
  };
}

/** Whether the configuration mirrors this service's ENIs: its kind is on (and lists its requester ID). */
export function stillMirrored(label: ServiceLabel, config: Pick<MirroringConfig, 'sources'>): boolean {
  const { loadBalancers, requesterManaged } = config.sources;
  if (label.loadBalancer) return loadBalancers.enabled;
  return (
    label.requester !== undefined && requesterManaged.enabled && requesterManaged.requesterIds.includes(label.requester)
  );
}

/** Why reconcile deletes autotap's session of a service's ENI the configuration no longer mirrors. */
export const KIND_REMOVAL = {
  loadBalancers: 'load-balancers-off',
  requesterManaged: 'requester-not-listed',
} as const;
