/**
 * The traffic mirror filter and target the stack creates for `mirroring.create`
 * (src/config/schema.ts), and the variables that hand their ids to the functions.
 *
 * AWS pages:
 * - filter: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ec2-trafficmirrorfilter.html
 * - rules: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ec2-trafficmirrorfilterrule.html
 *   (a filter mirrors nothing without accept rules; rules are evaluated by ascending rule number,
 *   per direction: https://docs.aws.amazon.com/vpc/latest/mirroring/traffic-mirroring-filter.html)
 * - target: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ec2-trafficmirrortarget.html
 *   (a Network Load Balancer with a UDP listener on 4789, a Gateway Load Balancer endpoint or an ENI:
 *   https://docs.aws.amazon.com/vpc/latest/mirroring/traffic-mirroring-targets.html)
 * - NLB UDP listeners: https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-listeners.html
 * - Gateway Load Balancer endpoints: https://docs.aws.amazon.com/vpc/latest/privatelink/create-gateway-load-balancer-endpoint-service.html
 */
import { CREATED_FILTER_VARIABLE, CREATED_TARGET_VARIABLE } from '../src/config/created.ts';
import {
  cidrFamily,
  type CreatedTarget,
  type FilterExclusion,
  type MirroringCreate,
  type MirroringSection,
} from '../src/config/schema.ts';
import { ref, type CfnFragment, type CfnResource, type CfnResources, type CfnValue } from './stage-config.ts';

/** Logical ids of the created filter and target (Ref: their ids). */
export const CREATED_FILTER = 'TrafficMirrorFilter';
export const CREATED_TARGET = 'TrafficMirrorTarget';

/** VXLAN: Traffic Mirroring sends mirrored packets to the target on UDP 4789. */
export const VXLAN_PORT = 4789;

/** Rule numbers: rejects first (ascending, one per exclusion), the accepts after them. */
const FIRST_REJECT_RULE = 100;
const ACCEPT_RULE = { ipv4: 32000, ipv6: 32001 } as const;
const ANY = { ipv4: '0.0.0.0/0', ipv6: '::/0' } as const;
const PROTOCOL_NUMBER = { tcp: 6, udp: 17 } as const;

type Direction = 'ingress' | 'egress';
const directionsOf = (exclusion: FilterExclusion): Direction[] =>
  exclusion.direction === 'both' ? ['ingress', 'egress'] : [exclusion.direction];

const nameTag = (stage: string, what: string) => [{ Key: 'Name', Value: `autotap-${stage}-${what}` }];

/**
 * One filter rule. A rule's addresses are the packet's: on ingress (packets the mirrored ENI
 * receives) the peer is the source, on egress the destination, so an exclusion names the peer.
 */
function filterRule(
  direction: Direction,
  ruleNumber: number,
  action: 'accept' | 'reject',
  peer: string,
  description: string,
  exclusion?: FilterExclusion,
): CfnResource {
  const family = cidrFamily(peer) ?? 'ipv4';
  const peerIsSource = direction === 'ingress';
  const properties: Record<string, CfnValue> = {
    TrafficMirrorFilterId: ref(CREATED_FILTER),
    TrafficDirection: direction,
    RuleNumber: ruleNumber,
    RuleAction: action,
    SourceCidrBlock: peerIsSource ? peer : ANY[family],
    DestinationCidrBlock: peerIsSource ? ANY[family] : peer,
    Description: description,
  };
  if (exclusion && exclusion.protocol !== 'all') {
    properties.Protocol = PROTOCOL_NUMBER[exclusion.protocol];
    if (exclusion.ports !== undefined) {
      const [from, to] = Array.isArray(exclusion.ports) ? exclusion.ports : [exclusion.ports, exclusion.ports];
      properties[peerIsSource ? 'SourcePortRange' : 'DestinationPortRange'] = { FromPort: from, ToPort: to };
    }
  }
  return { Type: 'AWS::EC2::TrafficMirrorFilterRule', Properties: properties };
}

/** The created filter and its rules: everything in both directions, minus the exclusions. */
export function filterResources(filter: NonNullable<MirroringCreate['filter']>, stage: string): CfnResources {
  const resources: CfnResources = {
    [CREATED_FILTER]: {
      Type: 'AWS::EC2::TrafficMirrorFilter',
      Properties: {
        Description: `autotap ${stage}: all traffic${filter.exclude.length ? ' minus the configured exclusions' : ''}`,
        ...(filter.amazonDns ? { NetworkServices: ['amazon-dns'] } : {}),
        Tags: nameTag(stage, 'filter'),
      },
    },
  };
  filter.exclude.forEach((exclusion, index) => {
    for (const direction of directionsOf(exclusion)) {
      const id = `${CREATED_FILTER}Exclude${index + 1}${direction === 'ingress' ? 'Ingress' : 'Egress'}`;
      resources[id] = filterRule(
        direction,
        FIRST_REJECT_RULE + index,
        'reject',
        exclusion.cidr,
        exclusion.description ?? `mirroring.create.filter.exclude[${index}]`,
        exclusion,
      );
    }
  });
  const families = filter.ipv6 ? (['ipv4', 'ipv6'] as const) : (['ipv4'] as const);
  for (const family of families) {
    for (const direction of ['ingress', 'egress'] as const) {
      const id = `${CREATED_FILTER}Accept${family === 'ipv4' ? 'IPv4' : 'IPv6'}${direction === 'ingress' ? 'Ingress' : 'Egress'}`;
      resources[id] = filterRule(
        direction,
        ACCEPT_RULE[family],
        'accept',
        ANY[family],
        `all ${family === 'ipv4' ? 'IPv4' : 'IPv6'} ${direction} traffic`,
      );
    }
  }
  return resources;
}

/** The created target, and for a load balancer or endpoint what it points at. */
export function targetResources(target: CreatedTarget, stage: string): CfnResources {
  const mirrorTarget = (properties: Record<string, CfnValue>): CfnResource => ({
    Type: 'AWS::EC2::TrafficMirrorTarget',
    Properties: { Description: `autotap ${stage}: ${target.kind}`, ...properties, Tags: nameTag(stage, 'target') },
  });
  switch (target.kind) {
    case 'network-interface':
      return { [CREATED_TARGET]: mirrorTarget({ NetworkInterfaceId: target.networkInterfaceId }) };
    case 'gateway-load-balancer-endpoint':
      return {
        MirrorTargetEndpoint: {
          Type: 'AWS::EC2::VPCEndpoint',
          Properties: {
            VpcEndpointType: 'GatewayLoadBalancer',
            ServiceName: target.serviceName,
            VpcId: target.vpcId,
            SubnetIds: [target.subnetId],
          },
        },
        // Ref of a VPC endpoint is its id.
        [CREATED_TARGET]: mirrorTarget({ GatewayLoadBalancerEndpointId: ref('MirrorTargetEndpoint') }),
      };
    case 'network-load-balancer':
      return {
        MirrorLoadBalancer: {
          Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
          Properties: {
            Type: 'network',
            Scheme: 'internal',
            Subnets: target.subnetIds,
            Tags: nameTag(stage, 'mirror'),
          },
        },
        MirrorTargetGroup: {
          Type: 'AWS::ElasticLoadBalancingV2::TargetGroup',
          Properties: {
            Protocol: 'UDP',
            Port: VXLAN_PORT,
            TargetType: 'ip',
            VpcId: target.vpcId,
            Targets: target.applianceIps.map((ip) => ({ Id: ip, Port: VXLAN_PORT })),
            // A UDP target group is health-checked over TCP (or HTTP); UDP itself cannot be probed.
            HealthCheckProtocol: 'TCP',
            HealthCheckPort: String(target.healthCheckPort),
          },
        },
        MirrorListener: {
          Type: 'AWS::ElasticLoadBalancingV2::Listener',
          Properties: {
            LoadBalancerArn: ref('MirrorLoadBalancer'),
            Protocol: 'UDP',
            Port: VXLAN_PORT,
            DefaultActions: [{ Type: 'forward', TargetGroupArn: ref('MirrorTargetGroup') }],
          },
        },
        // Ref of a load balancer is its ARN. The listener must exist before sessions can send to it.
        [CREATED_TARGET]: {
          ...mirrorTarget({ NetworkLoadBalancerArn: ref('MirrorLoadBalancer') }),
          DependsOn: 'MirrorListener',
        },
      };
  }
}

/** Everything `mirroring.create` asks for, with the ids as stack outputs (empty without it). */
export function createdMirroringResources(mirroring: MirroringSection, stage: string): CfnFragment {
  const create = mirroring.create;
  const Resources: CfnResources = {
    ...(create?.filter ? filterResources(create.filter, stage) : {}),
    ...(create?.target ? targetResources(create.target, stage) : {}),
  };
  const Outputs: NonNullable<CfnFragment['Outputs']> = {};
  if (create?.filter)
    Outputs.TrafficMirrorFilterId = {
      Value: ref(CREATED_FILTER),
      Description: 'The traffic mirror filter autotap created (mirroring.create.filter)',
    };
  if (create?.target)
    Outputs.TrafficMirrorTargetId = {
      Value: ref(CREATED_TARGET),
      Description: 'The traffic mirror target autotap created (mirroring.create.target)',
    };
  return { Resources, Outputs };
}

/** The variables that give the functions the created ids (src/config/created.ts reads them). */
export function createdIdsEnvironment(mirroring: MirroringSection): Record<string, CfnValue> {
  return {
    ...(mirroring.create?.filter ? { [CREATED_FILTER_VARIABLE]: ref(CREATED_FILTER) } : {}),
    ...(mirroring.create?.target ? { [CREATED_TARGET_VARIABLE]: ref(CREATED_TARGET) } : {}),
  };
}
