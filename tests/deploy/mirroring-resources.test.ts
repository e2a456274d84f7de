/**
 * mirroring.create (src/config/schema.ts) turned into CloudFormation (deploy/mirroring-resources.ts),
 * the roles' grants of what it creates (deploy/roles.ts), and the merge of the created ids
 * (src/config/created.ts). The packaged template is checked by tests/template/create.ts.
 */
import { CREATED_FILTER_VARIABLE, CREATED_TARGET_VARIABLE, mirroringOf } from '../../src/config/created.ts';
import { createdIdsFrom, mirroringConfig } from '../../src/config/environment.ts';
import { parseConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { createdIdsEnvironment, createdMirroringResources, filterResources } from '../../deploy/mirroring-resources.ts';
import { attachSessionStatements } from '../../deploy/roles.ts';
import { measureEnvironments, LAMBDA_ENVIRONMENT_LIMIT_BYTES } from '../../deploy/package-limits.ts';
import { providerEnvironmentOf } from '../../deploy/stage-config.ts';

const VPC = 'vpc-0a1b2c3d4e5f60718';
const SUBNET = 'subnet-0a1b2c3d4e5f60718';
const nlb = {
  kind: 'network-load-balancer',
  vpcId: VPC,
  subnetIds: [SUBNET],
  applianceIps: ['10.20.0.10'],
  healthCheckPort: 443,
};
const withCreate = (create: Record<string, unknown>, rest: Record<string, unknown> = {}): Config =>
  parseConfig({ mirroring: { create, ...rest } });
const problem = (document: unknown) => {
  try {
    parseConfig(document);
  } catch (error) {
    return (error as Error).message;
  }
  return 'accepted';
};

describe('mirroring.create in the schema', () => {
  test('a filter id or create.filter is required, and not both', () => {
    expect(problem({ mirroring: { targetTag: { key: 'k', value: 'v' } } })).toBe(
      'configuration: mirroring.filterId: expected a traffic mirror filter id (tmf-...), or create.filter for the stack to create one',
    );
    expect(problem({ mirroring: { filterId: 'tmf-0a1b2c3d4e5f60718', create: { filter: {}, target: nlb } } })).toBe(
      'configuration: mirroring.create.filter: expected either filterId or create.filter, not both (sessions use one filter)',
    );
    expect(problem({ mirroring: { create: { filter: {} } } })).toBe(
      'configuration: mirroring.targets: expected at least one entry in targets, a targetTag to discover targets by, or create.target',
    );
    expect(problem({ mirroring: { create: { filter: {}, target: nlb } } })).toBe('accepted');
  });

  test.each([
    [
      { filter: { exclude: [{ cidr: '10.0.0.300/32' }] } },
      'mirroring.create.filter.exclude[0].cidr: expected a CIDR block like 10.0.5.10/32 or 2001:db8::/64',
    ],
    [
      { filter: { exclude: [{ cidr: '10.0.0.1/32', ports: 443 }] } },
      'mirroring.create.filter.exclude[0].ports: expected protocol tcp or udp with ports',
    ],
    [
      { filter: { exclude: [{ cidr: '10.0.0.1/32', protocol: 'tcp', ports: [90, 80] }] } },
      'mirroring.create.filter.exclude[0].ports: expected [from, to] with from <= to',
    ],
    [
      { filter: { ipv6: false, exclude: [{ cidr: '2001:db8::/64' }] } },
      'mirroring.create.filter.exclude[0].cidr: an IPv6 block excludes nothing with ipv6: false',
    ],
    [
      { filter: { exclude: [1, 2, 3, 4].map((n) => ({ cidr: `10.${n}.0.0/16` })) } },
      'mirroring.create.filter.exclude: these exclusions need 12 filter rules and a filter holds 10',
    ],
    [
      { filter: {}, target: { kind: 'nlb' } },
      'mirroring.create.target.kind: expected kind network-load-balancer, gateway-load-balancer-endpoint or network-interface',
    ],
    [
      { filter: {}, target: { ...nlb, applianceIps: [] } },
      'mirroring.create.target.applianceIps: expected at least one appliance address',
    ],
    [
      { filter: {}, target: { ...nlb, applianceIps: ['appliance.local'] } },
      'mirroring.create.target.applianceIps[0]: expected an IPv4 address like 10.0.5.10',
    ],
    [
      { filter: {}, target: { ...nlb, healthCheckPort: undefined } },
      'mirroring.create.target.healthCheckPort: required: a TCP port the appliance answers (for example 443)',
    ],
    [
      { filter: {}, target: { ...nlb, healthCheckPort: 65536 } },
      'mirroring.create.target.healthCheckPort: expected an integer port from 1 to 65535',
    ],
    [
      { filter: {}, target: { kind: 'network-interface', networkInterfaceId: 'i-0a1b2c3d4e5f60718' } },
      'mirroring.create.target.networkInterfaceId: expected an id like eni-0123456789abcdef0',
    ],
    [
      {
        filter: {},
        target: { kind: 'gateway-load-balancer-endpoint', serviceName: 'my-service', vpcId: VPC, subnetId: SUBNET },
      },
      'mirroring.create.target.serviceName: expected an endpoint service name',
    ],
    [{ filter: { rules: [] }, target: nlb }, 'mirroring.create.filter: Unrecognized key: "rules"'],
  ])('refused, naming the field: %j', (create, message) => {
    expect(problem({ mirroring: { create } })).toContain(`configuration: ${message}`);
  });

  test('three exclusions in both directions fit the 10 rules of a filter with IPv6; four fit without it', () => {
    const exclude = (n: number) => Array.from({ length: n }, (_, i) => ({ cidr: `10.${i}.0.0/16` }));
    expect(problem({ mirroring: { create: { filter: { exclude: exclude(3) }, target: nlb } } })).toBe('accepted');
    expect(problem({ mirroring: { create: { filter: { ipv6: false, exclude: exclude(4) }, target: nlb } } })).toBe(
      'accepted',
    );
    expect(problem({ mirroring: { create: { filter: { ipv6: false, exclude: exclude(5) }, target: nlb } } })).toContain(
      'need 12 filter rules',
    );
  });
});

describe('the created filter', () => {
  const rulesOf = (filter: Record<string, unknown>) => {
    const config = withCreate({ filter, target: nlb });
    return Object.values(filterResources(config.mirroring.create!.filter!, 'prod'))
      .filter((r) => r.Type === 'AWS::EC2::TrafficMirrorFilterRule')
      .map((r) => r.Properties);
  };

  test('without exclusions: one accept rule per direction and family, any protocol', () => {
    expect(
      rulesOf({}).map(
        (r) =>
          `${String(r.TrafficDirection)} ${String(r.RuleAction)} ${String(r.SourceCidrBlock)} > ${String(r.DestinationCidrBlock)} #${String(r.RuleNumber)}`,
      ),
    ).toEqual([
      'ingress accept 0.0.0.0/0 > 0.0.0.0/0 #32000',
      'egress accept 0.0.0.0/0 > 0.0.0.0/0 #32000',
      'ingress accept ::/0 > ::/0 #32001',
      'egress accept ::/0 > ::/0 #32001',
    ]);
    expect(rulesOf({ ipv6: false })).toHaveLength(2);
  });

  test('an exclusion names the peer: the source of ingress packets, the destination of egress ones, in order before the accepts', () => {
    const rules = rulesOf({
      exclude: [
        { cidr: '10.9.0.0/16', direction: 'ingress' },
        { cidr: '10.20.0.10/32', protocol: 'udp', ports: [8000, 8099] },
      ],
    });
    expect(rules.filter((r) => r.RuleAction === 'reject')).toEqual([
      expect.objectContaining({
        TrafficDirection: 'ingress',
        RuleNumber: 100,
        SourceCidrBlock: '10.9.0.0/16',
        DestinationCidrBlock: '0.0.0.0/0',
      }),
      expect.objectContaining({
        TrafficDirection: 'ingress',
        RuleNumber: 101,
        SourceCidrBlock: '10.20.0.10/32',
        Protocol: 17,
        SourcePortRange: { FromPort: 8000, ToPort: 8099 },
      }),
      expect.objectContaining({
        TrafficDirection: 'egress',
        RuleNumber: 101,
        DestinationCidrBlock: '10.20.0.10/32',
        Protocol: 17,
        DestinationPortRange: { FromPort: 8000, ToPort: 8099 },
      }),
    ]);
    expect(rules[0]!.Protocol).toBeUndefined();
  });

  test('amazonDns adds the filter network service', () => {
    const config = withCreate({ filter: { amazonDns: true }, target: nlb });
    expect(
      filterResources(config.mirroring.create!.filter!, 'prod').TrafficMirrorFilter!.Properties.NetworkServices,
    ).toEqual(['amazon-dns']);
  });
});

describe('the created target', () => {
  const resourcesFor = (target: Record<string, unknown>) =>
    createdMirroringResources(withCreate({ filter: {}, target }).mirroring, 'prod').Resources;

  test('a Gateway Load Balancer endpoint of the given service in the given subnet', () => {
    const resources = resourcesFor({
      kind: 'gateway-load-balancer-endpoint',
      serviceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0a1b2c3d4e5f60718',
      vpcId: VPC,
      subnetId: SUBNET,
    });
    expect(resources.MirrorTargetEndpoint).toEqual({
      Type: 'AWS::EC2::VPCEndpoint',
      Properties: {
        VpcEndpointType: 'GatewayLoadBalancer',
        ServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0a1b2c3d4e5f60718',
        VpcId: VPC,
        SubnetIds: [SUBNET],
      },
    });
    expect(resources.TrafficMirrorTarget!.Properties.GatewayLoadBalancerEndpointId).toEqual({
      Ref: 'MirrorTargetEndpoint',
    });
  });

  test("the sensor's network interface", () => {
    const resources = resourcesFor({ kind: 'network-interface', networkInterfaceId: 'eni-0a1b2c3d4e5f60718' });
    expect(Object.keys(resources).filter((id) => !id.startsWith('TrafficMirrorFilter'))).toEqual([
      'TrafficMirrorTarget',
    ]);
    expect(resources.TrafficMirrorTarget!.Properties.NetworkInterfaceId).toBe('eni-0a1b2c3d4e5f60718');
  });

  test('the NLB target waits for its listener; the health check port is the one given', () => {
    const resources = resourcesFor({ ...nlb, healthCheckPort: 443 });
    expect(resources.TrafficMirrorTarget!.DependsOn).toBe('MirrorListener');
    expect(resources.MirrorTargetGroup!.Properties).toMatchObject({
      HealthCheckProtocol: 'TCP',
      HealthCheckPort: '443',
    });
  });

  test('without create: nothing created, no variables, the stack as before', () => {
    const config = parseConfig({
      mirroring: { filterId: 'tmf-0a1b2c3d4e5f60718', targetTag: { key: 'k', value: 'v' } },
    });
    expect(createdMirroringResources(config.mirroring, 'prod')).toEqual({ Resources: {}, Outputs: {} });
    expect(createdIdsEnvironment(config.mirroring)).toEqual({});
  });
});

describe('the created ids reach the functions', () => {
  const config = withCreate(
    {
      filter: {},
      target: {
        kind: 'network-interface',
        networkInterfaceId: 'eni-0a1b2c3d4e5f60718',
        availabilityZone: 'us-east-1b',
        maxSources: 100,
      },
    },
    { targets: [{ id: 'tmt-0a1b2c3d4e5f60718' }] },
  );
  const ids = {
    [CREATED_FILTER_VARIABLE]: 'tmf-0c0ffee0c0ffee001',
    [CREATED_TARGET_VARIABLE]: 'tmt-0c0ffee0c0ffee002',
  };

  test('mirroringConfig merges them: the created filter, the created target after the configured ones with its zone and capacity', () => {
    const mirroring = mirroringConfig({ AUTOTAP_CONFIG: JSON.stringify(config), ...ids });
    expect(mirroring.filterId).toBe('tmf-0c0ffee0c0ffee001');
    expect(mirroring.targets).toEqual([
      { id: 'tmt-0a1b2c3d4e5f60718' },
      { id: 'tmt-0c0ffee0c0ffee002', availabilityZone: 'us-east-1b', maxSources: 100 },
    ]);
  });

  test('a missing variable is named', () => {
    expect(() => createdIdsFrom(config.mirroring, { [CREATED_FILTER_VARIABLE]: 'tmf-0c0ffee0c0ffee001' })).toThrow(
      'AUTOTAP_MIRROR_TARGET_ID: not set (expected the id of the traffic mirror target the stack created)',
    );
  });

  test('outside the stack (plan, simulate) a created filter has no id yet, and the message says where to find it', () => {
    expect(() => mirroringOf(config)).toThrow(
      'mirroring.create.filter: the stack creates this filter at deploy time and its id is not known here',
    );
  });

  test('every function gets both variables, and they fit the 4 KB environment as CloudFormation fills them in', () => {
    const environment = providerEnvironmentOf(config, 'dev');
    expect(environment[CREATED_FILTER_VARIABLE]).toEqual({ Ref: 'TrafficMirrorFilter' });
    expect(environment[CREATED_TARGET_VARIABLE]).toEqual({ Ref: 'TrafficMirrorTarget' });
    const { Resources } = createdMirroringResources(config.mirroring, 'prod');
    const [measured] = measureEnvironments({
      providerEnvironment: environment,
      functions: { attachSession: {} },
      resources: Resources,
      region: 'us-east-1',
    });
    // A Ref to the filter or target counts as its id (21 characters), not as the 2,048 of a value
    // the check cannot tell: two of those would take a function's environment over 4 KB.
    const share = (name: string) => measured!.variables.find(([variable]) => variable === name)![1];
    expect(share(CREATED_FILTER_VARIABLE)).toBe(`"${CREATED_FILTER_VARIABLE}":"tmf-00000000000000000"`.length);
    expect(share(CREATED_TARGET_VARIABLE)).toBe(`"${CREATED_TARGET_VARIABLE}":"tmt-00000000000000000"`.length);
    expect(measured!.bytes).toBeLessThan(LAMBDA_ENVIRONMENT_LIMIT_BYTES);
  });

  test('the roles may create and move sessions with the created filter and to the created target, by ARN', () => {
    const statements = attachSessionStatements(config.mirroring);
    const sub = (resource: string) => ({
      'Fn::Sub': `arn:\${AWS::Partition}:ec2:\${AWS::Region}:\${AWS::AccountId}:${resource}`,
    });
    expect(statements.find((s) => s.Sid === 'MirrorWithCreatedFilter')!.Resource).toEqual(
      sub('traffic-mirror-filter/${TrafficMirrorFilter}'),
    );
    expect(statements.find((s) => s.Sid === 'MirrorToCreatedTarget')!.Resource).toEqual(
      sub('traffic-mirror-target/${TrafficMirrorTarget}'),
    );
    expect(statements.map((s) => s.Sid)).not.toContain('MirrorWithConfiguredFilter');
  });
});
