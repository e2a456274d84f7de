/**
 * The packaged stage `create` (tests/template/fixtures/create.yml): the stack creates the traffic
 * mirror filter with its rules and a Network Load Balancer target, the functions receive their ids,
 * and the session-creating roles may use them. Registered by tests/template/package.test.ts.
 */
import type { Config } from '../../src/config/schema.ts';
import { CREATED_FILTER_VARIABLE, CREATED_TARGET_VARIABLE } from '../../src/config/created.ts';
import { ACCOUNT, REGION, actionsOf, evaluate, resourcesOf, rolePolicyStatements, type Template } from './inspect.ts';

export interface CreatePackage {
  template: Template;
  config: Config;
}

const MIRRORING_FUNCTIONS = [
  'NormalizeInputLambdaFunction',
  'ResolveInterfacesLambdaFunction',
  'AttachSessionLambdaFunction',
  'SummarizeLambdaFunction',
  'NormalizeCleanupInputLambdaFunction',
  'ReconcileRoundLambdaFunction',
  'ReconcileSliceLambdaFunction',
  'SummarizeReconcileLambdaFunction',
];

const ofType = (template: Template, type: string) =>
  Object.entries(template.Resources).filter(([, r]) => r.Type === type);

export function registerCreateTests(get: () => CreatePackage): void {
  describe('a stage with mirroring.create (packaged)', () => {
    let template: Template;
    let config: Config;
    beforeAll(() => {
      ({ template, config } = get());
    });

    test('the filter accepts everything both ways, IPv4 and IPv6, after reject rules for the exclusions', () => {
      expect(ofType(template, 'AWS::EC2::TrafficMirrorFilter')).toHaveLength(1);
      const rules = ofType(template, 'AWS::EC2::TrafficMirrorFilterRule').map(([, r]) => r.Properties);
      for (const rule of rules) expect(rule.TrafficMirrorFilterId).toEqual({ Ref: 'TrafficMirrorFilter' });
      const accepts = rules.filter((r) => r.RuleAction === 'accept');
      expect(accepts.map((r) => [r.TrafficDirection, r.SourceCidrBlock, r.DestinationCidrBlock]).sort()).toEqual([
        ['egress', '0.0.0.0/0', '0.0.0.0/0'],
        ['egress', '::/0', '::/0'],
        ['ingress', '0.0.0.0/0', '0.0.0.0/0'],
        ['ingress', '::/0', '::/0'],
      ]);
      for (const accept of accepts) expect(accept.Protocol).toBeUndefined();
      // The appliance's HTTPS: from it on ingress (its source port), to it on egress (its destination port).
      const rejects = rules.filter((r) => r.RuleAction === 'reject');
      expect(rejects).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            TrafficDirection: 'ingress',
            SourceCidrBlock: '10.20.0.10/32',
            DestinationCidrBlock: '0.0.0.0/0',
            Protocol: 6,
            SourcePortRange: { FromPort: 443, ToPort: 443 },
          }),
          expect.objectContaining({
            TrafficDirection: 'egress',
            SourceCidrBlock: '0.0.0.0/0',
            DestinationCidrBlock: '10.20.0.10/32',
            Protocol: 6,
            DestinationPortRange: { FromPort: 443, ToPort: 443 },
          }),
          expect.objectContaining({
            TrafficDirection: 'egress',
            SourceCidrBlock: '::/0',
            DestinationCidrBlock: 'fd00:20::/64',
          }),
        ]),
      );
      expect(rejects).toHaveLength(3);
      // Evaluated first: every reject has a lower number than every accept of its direction.
      for (const reject of rejects) {
        for (const accept of accepts.filter((a) => a.TrafficDirection === reject.TrafficDirection))
          expect(reject.RuleNumber as number).toBeLessThan(accept.RuleNumber as number);
      }
      expect(rules.length).toBeLessThanOrEqual(10);
    });

    test('the target is an internal NLB with a UDP 4789 listener forwarding to the appliance addresses', () => {
      const target = config.mirroring.create!.target!;
      if (target.kind !== 'network-load-balancer') throw new Error('the fixture creates a network load balancer');
      const [[, balancer]] = ofType(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer') as [
        [string, Template['Resources'][string]],
      ];
      expect(balancer.Properties).toMatchObject({ Type: 'network', Scheme: 'internal', Subnets: target.subnetIds });
      const [[, listener]] = ofType(template, 'AWS::ElasticLoadBalancingV2::Listener') as [
        [string, Template['Resources'][string]],
      ];
      expect(listener.Properties).toMatchObject({
        Protocol: 'UDP',
        Port: 4789,
        DefaultActions: [{ Type: 'forward', TargetGroupArn: { Ref: 'MirrorTargetGroup' } }],
      });
      expect(template.Resources.MirrorTargetGroup!.Properties).toMatchObject({
        Protocol: 'UDP',
        Port: 4789,
        TargetType: 'ip',
        VpcId: target.vpcId,
        Targets: target.applianceIps.map((ip) => ({ Id: ip, Port: 4789 })),
      });
      expect(template.Resources.TrafficMirrorTarget).toMatchObject({
        Type: 'AWS::EC2::TrafficMirrorTarget',
        Properties: { NetworkLoadBalancerArn: { Ref: 'MirrorLoadBalancer' } },
      });
    });

    test('every mirroring function receives the created filter and target ids', () => {
      for (const logicalId of MIRRORING_FUNCTIONS) {
        const variables = (
          template.Resources[logicalId]!.Properties.Environment as { Variables: Record<string, unknown> }
        ).Variables;
        expect({
          logicalId,
          filter: variables[CREATED_FILTER_VARIABLE],
          target: variables[CREATED_TARGET_VARIABLE],
        }).toEqual({
          logicalId,
          filter: { Ref: 'TrafficMirrorFilter' },
          target: { Ref: 'TrafficMirrorTarget' },
        });
      }
      const outputs = (template as Template & { Outputs: Record<string, { Value: unknown }> }).Outputs;
      expect(outputs.TrafficMirrorFilterId!.Value).toEqual({ Ref: 'TrafficMirrorFilter' });
      expect(outputs.TrafficMirrorTargetId!.Value).toEqual({ Ref: 'TrafficMirrorTarget' });
    });

    test('the session-creating roles may use the created filter and target, named by ARN, and the configured target', () => {
      const arn = (resource: string) => `arn:aws:ec2:${REGION}:${ACCOUNT}:${resource}`;
      for (const role of ['AttachSessionRole', 'ReconcileRoundRole', 'ReconcileSliceRole']) {
        const creating = rolePolicyStatements(template, role).filter((s) =>
          actionsOf(s).includes('ec2:CreateTrafficMirrorSession'),
        );
        const resources = creating.flatMap((s) => resourcesOf(template, s));
        expect({ role, resources }).toEqual({
          role,
          resources: expect.arrayContaining([
            arn('traffic-mirror-filter/{TrafficMirrorFilter}'),
            arn('traffic-mirror-target/{TrafficMirrorTarget}'),
            arn(`traffic-mirror-target/${config.mirroring.targets[0]!.id}`),
          ]),
        });
        // No filter but the created one.
        expect(resources.filter((r) => r.includes('traffic-mirror-filter/'))).toEqual([
          arn('traffic-mirror-filter/{TrafficMirrorFilter}'),
        ]);
      }
    });

    test("the session-creating roles create sessions only on ENIs of the scope's VPCs and subnets", () => {
      const arn = (resource: string) => `arn:aws:ec2:${REGION}:${ACCOUNT}:${resource}`;
      for (const role of ['AttachSessionRole', 'ReconcileRoundRole', 'ReconcileSliceRole']) {
        const onInterfaces = rolePolicyStatements(template, role).filter((s) =>
          resourcesOf(template, s).some((r) => r.includes(':network-interface/')),
        );
        expect({ role, conditions: onInterfaces.map((s) => evaluate(template, s.Condition)) }).toEqual({
          role,
          conditions: [
            {
              ArnEquals: {
                'ec2:Vpc': config.mirroring.scope.vpcIds.map((id) => arn(`vpc/${id}`)),
                'ec2:Subnet': config.mirroring.scope.subnetIds.map((id) => arn(`subnet/${id}`)),
              },
            },
          ],
        });
      }
      expect(config.mirroring.scope.subnetIds).toHaveLength(2);
    });

    test('as the central deployment of an organization: the default bus admits its members, the member-acting roles may assume their roles', () => {
      const [policy, ...others] = ofType(template, 'AWS::Events::EventBusPolicy');
      expect(others).toEqual([]);
      expect(evaluate(template, policy![1].Properties)).toEqual({
        EventBusName: 'default',
        StatementId: 'autotap-create-members',
        Statement: {
          Effect: 'Allow',
          Principal: '*',
          Action: 'events:PutEvents',
          Resource: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`,
          Condition: {
            StringEquals: {
              'aws:PrincipalOrgID': 'o-a1b2c3d4e5',
              'events:source': ['aws.cloudwatch', 'aws.ec2', 'aws.tag'],
            },
          },
        },
      });
      const assuming = ofType(template, 'AWS::IAM::Role')
        .map(([id]) => id)
        .filter((id) => rolePolicyStatements(template, id).some((s) => actionsOf(s).includes('sts:AssumeRole')));
      expect(assuming.sort()).toEqual([
        'AttachSessionRole',
        'ReconcileRoundRole',
        'ReconcileSliceRole',
        'ResolveInterfacesRole',
      ]);
    });
  });
}
