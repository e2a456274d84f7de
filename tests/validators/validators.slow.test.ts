/**
 * The validators find what they are for: each one is shown a small template with one mistake of the
 * kind it exists to catch. Their verdict on the packaged templates is in validators.ts, registered
 * by tests/template/package.slow.test.ts (which packages the service once per configuration).
 */
import { loadConfigFile, parseConfig } from '../../src/config/load.ts';
import { createdMirroringResources } from '../../deploy/mirroring-resources.ts';
import {
  configuredTargetPolicies,
  MAX_MANAGED_POLICIES_PER_ROLE,
  roles,
  TARGETS_PER_POLICY,
} from '../../deploy/roles.ts';
import { root, type Template } from '../template/inspect.ts';
import path from 'node:path';
import { specificationProblems } from './cloudformation-spec.ts';
import { actionProblems, iamActionProblems } from './iam-actions.ts';
import { overQuota, IAM_MAX_ROLE_INLINE_POLICY_CHARS } from './quotas.ts';

const queue = (properties: Record<string, unknown>): Template => ({
  Resources: { Queue: { Type: 'AWS::SQS::Queue', Properties: properties } },
});

describe('CloudFormation resource specification', () => {
  test('a valid resource, intrinsics and scalar conversions pass', () => {
    expect(
      specificationProblems(
        queue({
          QueueName: 'q',
          VisibilityTimeout: '300',
          MessageRetentionPeriod: 1209600,
          SqsManagedSseEnabled: 'true',
          RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['Queue', 'Arn'] }, maxReceiveCount: 5 },
        }),
      ),
    ).toEqual([]);
  });

  test('a type the specification lacks fails', () => {
    expect(specificationProblems({ Resources: { Thing: { Type: 'AWS::SQS::Queues', Properties: {} } } })).toEqual([
      'Resources.Thing: type AWS::SQS::Queues is not in the CloudFormation resource specification',
    ]);
  });

  test('an unknown property, a wrong primitive type and a missing required property fail', () => {
    expect(specificationProblems(queue({ QueueNmae: 'q' }))[0]).toMatch(
      /^Resources\.Queue\.Properties\.QueueNmae: not a property of this type/,
    );
    expect(specificationProblems(queue({ VisibilityTimeout: 'five minutes' }))).toEqual([
      'Resources.Queue.Properties.VisibilityTimeout: expected an integer, got string "five minutes"',
    ]);
    expect(specificationProblems(queue({ SqsManagedSseEnabled: { enabled: true } }))).toEqual([
      'Resources.Queue.Properties.SqsManagedSseEnabled: expected a boolean, got an object',
    ]);
    const subscription: Template = {
      Resources: { Sub: { Type: 'AWS::SNS::Subscription', Properties: { Protocol: 'email' } } },
    };
    expect(specificationProblems(subscription)).toEqual(['Resources.Sub.Properties.TopicArn: required, missing']);
  });

  test('nested property types are checked too', () => {
    const fn: Template = {
      Resources: {
        Fn: {
          Type: 'AWS::Lambda::Function',
          Properties: { Role: 'arn', Code: { ZipFile: 'x' }, Environment: { Variables: { A: ['list'] } } },
        },
      },
    };
    expect(specificationProblems(fn)).toEqual([
      'Resources.Fn.Properties.Environment.Variables.A: expected a string, got a list',
    ]);
  });

  test('a Ref or Fn::GetAtt to a missing resource or attribute fails', () => {
    expect(specificationProblems(queue({ QueueName: { Ref: 'Nope' } }))).toEqual([
      'Resources.Queue.Properties.QueueName: Ref to Nope, which is not in the template',
    ]);
    expect(specificationProblems(queue({ QueueName: { 'Fn::GetAtt': ['Queue', 'Name'] } }))[0]).toMatch(
      /AWS::SQS::Queue has no attribute Name \(it has Arn, QueueName, QueueUrl\)/,
    );
    expect(specificationProblems(queue({ QueueName: { 'Fn::Sub': '${Queue.Url}-${AWS::Region}' } }))[0]).toMatch(
      /has no attribute Url/,
    );
  });
});

describe('what mirroring.create adds, for each kind of target', () => {
  // The packaged stage `create` (an NLB target) is validated whole by validators.ts; the other two
  // kinds of target are validated here as the stack would create them.
  test.each([
    [
      'gateway-load-balancer-endpoint',
      {
        kind: 'gateway-load-balancer-endpoint',
        serviceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0a1b2c3d4e5f60718',
        vpcId: 'vpc-0a1b2c3d4e5f60718',
        subnetId: 'subnet-0a1b2c3d4e5f60718',
      },
    ],
    ['network-interface', { kind: 'network-interface', networkInterfaceId: 'eni-0a1b2c3d4e5f60718' }],
    [
      'network-load-balancer',
      {
        kind: 'network-load-balancer',
        vpcId: 'vpc-0a1b2c3d4e5f60718',
        subnetIds: ['subnet-0a1b2c3d4e5f60718'],
        applianceIps: ['10.20.0.10'],
        healthCheckPort: 443,
      },
    ],
  ])('%s: the filter, its rules and the target match the CloudFormation resource specification', (_kind, target) => {
    const config = parseConfig({
      mirroring: {
        create: {
          filter: { amazonDns: true, exclude: [{ cidr: '10.20.0.10/32', protocol: 'tcp', ports: [443, 444] }] },
          target,
        },
      },
    });
    const fragment = createdMirroringResources(config.mirroring, 'prod');
    expect(Object.keys(fragment.Resources)).toContain('TrafficMirrorTarget');
    expect(specificationProblems(fragment as Template)).toEqual([]);
  });
});

describe('IAM actions', () => {
  const statement = (Action: string | string[], Condition?: Record<string, Record<string, unknown>>) => ({
    Effect: 'Allow' as const,
    Action,
    Resource: '*',
    ...(Condition ? { Condition } : {}),
  });
  const check = (Action: string, Condition?: Record<string, Record<string, unknown>>) =>
    actionProblems({ where: 'Role', action: Action, statement: statement(Action, Condition) });

  test('real actions pass, from SDK-checked services and others', async () => {
    for (const action of [
      'ec2:CreateTrafficMirrorSession',
      'sqs:SendMessage',
      'lambda:InvokeFunction',
      'logs:PutLogEvents',
      's3:*',
    ])
      expect(await check(action)).toEqual([]);
  });

  test('an action that does not exist, is misspelled, or is an SDK operation but no IAM action fails', async () => {
    expect(await check('ec2:CreateTrafficMirrorSessions')).toEqual([
      'Role: ec2:CreateTrafficMirrorSessions is not an action of ec2 in the Service Authorization Reference',
    ]);
    expect(await check('ec2:createTrafficMirrorSession')).toEqual([
      'Role: ec2:createTrafficMirrorSession is spelled ec2:CreateTrafficMirrorSession by AWS',
    ]);
    // SendMessageBatch is an operation, authorized by sqs:SendMessage: as an action it grants nothing.
    expect(await check('sqs:SendMessageBatch')).toEqual([
      'Role: sqs:SendMessageBatch is not an action of sqs in the Service Authorization Reference',
    ]);
    expect(await check('ec3:DescribeInstances')).toEqual([
      'Role: ec3:DescribeInstances: no service ec3 in the Service Authorization Reference',
    ]);
    expect(await check('sqs:Nothing*')).toEqual(['Role: sqs:Nothing* matches no sqs action']);
  });

  test('for a service whose SDK client the project uses, an IAM action that is no operation of it is reported', async () => {
    // A real IAM action (it authorizes condition checks inside TransactWriteItems), but no API call.
    expect(await check('dynamodb:ConditionCheckItem')).toEqual([
      'Role: dynamodb:ConditionCheckItem is not an operation of @aws-sdk/client-dynamodb',
    ]);
  });

  test('a service condition key the action does not support fails; global keys pass', async () => {
    expect(
      await check('ec2:CreateTags', {
        StringEquals: { 'ec2:CreateAction': 'CreateTrafficMirrorSession', 'aws:RequestTag/autotap:managed': 'true' },
      }),
    ).toEqual([]);
    expect(
      await check('ec2:DeleteTrafficMirrorSession', {
        StringEquals: { 'ec2:CreateAction': 'CreateTrafficMirrorSession' },
      }),
    ).toEqual(['Role: condition key ec2:CreateAction is not available for ec2:DeleteTrafficMirrorSession']);
  });

  test('trust policies and Lambda permissions are checked too', async () => {
    const template: Template = {
      Resources: {
        Role: {
          Type: 'AWS::IAM::Role',
          Properties: { AssumeRolePolicyDocument: { Statement: [statement('sts:AssumeRoles')] } },
        },
        Permission: { Type: 'AWS::Lambda::Permission', Properties: { Action: 'lambda:InvokeFunctionURL' } },
      },
    };
    expect(await iamActionProblems(template)).toEqual([
      'Role/trust: sts:AssumeRoles is not an action of sts in the Service Authorization Reference',
      'Permission: lambda:InvokeFunctionURL is spelled lambda:InvokeFunctionUrl by AWS',
    ]);
  });
});

describe('quotas', () => {
  test("a role whose inline policies pass 10,240 characters is over IAM's quota", () => {
    const resources = Array.from(
      { length: 150 },
      (_, n) => `arn:aws:ec2:us-east-1:123456789012:traffic-mirror-target/tmt-${n.toString(16).padStart(17, '0')}`,
    );
    const role = (count: number): Template => ({
      Resources: {
        Role: {
          Type: 'AWS::IAM::Role',
          Properties: {
            AssumeRolePolicyDocument: {},
            Policies: [
              {
                PolicyName: 'p',
                PolicyDocument: {
                  Statement: [
                    { Effect: 'Allow', Action: 'ec2:CreateTrafficMirrorSession', Resource: resources.slice(0, count) },
                  ],
                },
              },
            ],
          },
        },
      },
    });
    expect(overQuota(role(100))).toEqual([]);
    expect(overQuota(role(150))).toEqual([
      { what: 'Role inline policies', size: expect.any(Number), limit: IAM_MAX_ROLE_INLINE_POLICY_CHARS },
    ]);
  });

  test("the most configured targets the roles take fit IAM's quotas; one more is refused, naming the limit", () => {
    const dev = loadConfigFile(path.join(root, 'config', 'dev.yml'));
    const most = TARGETS_PER_POLICY * MAX_MANAGED_POLICIES_PER_ROLE;
    const targets = (count: number) =>
      Array.from({ length: count }, (_, n) => ({ id: `tmt-${n.toString(16).padStart(17, '0')}` }));
    const config = { ...dev, mirroring: { ...dev.mirroring, targets: targets(most) } };
    const sessionCreating = Object.entries(roles(config)).filter(
      ([id, r]) =>
        ['AttachSessionRole', 'ReconcileRoundRole', 'ReconcileSliceRole'].includes(id) ||
        r.Type === 'AWS::IAM::ManagedPolicy',
    );
    const logGroup = (name: string) => ({
      Type: 'AWS::Logs::LogGroup',
      Properties: { LogGroupName: `/aws/lambda/autotap-dev-${name}` },
    });
    const template = {
      Resources: {
        ...Object.fromEntries(sessionCreating),
        AttachSessionLogGroup: logGroup('attachSession'),
        ReconcileRoundLogGroup: logGroup('reconcileRound'),
        ReconcileSliceLogGroup: logGroup('reconcileSlice'),
        SessionsTable: { Type: 'AWS::DynamoDB::Table', Properties: {} },
      },
    } as Template;
    expect(Object.values(template.Resources).filter((r) => r.Type === 'AWS::IAM::ManagedPolicy')).toHaveLength(
      MAX_MANAGED_POLICIES_PER_ROLE,
    );
    expect(overQuota(template)).toEqual([]);
    expect(() => configuredTargetPolicies({ ...config.mirroring, targets: targets(most + 1) })).toThrow(
      `mirroring.targets: ${most + 1} target ids need ${MAX_MANAGED_POLICIES_PER_ROLE + 1} IAM managed policies`,
    );
  });

  test("more than 500 resources is over CloudFormation's quota", () => {
    const many: Template = {
      Resources: Object.fromEntries(
        Array.from({ length: 501 }, (_, n) => [`Topic${n}`, { Type: 'AWS::SNS::Topic', Properties: {} }]),
      ),
    };
    expect(overQuota(many).map((m) => m.what)).toEqual(['CloudFormation resources']);
  });
});
