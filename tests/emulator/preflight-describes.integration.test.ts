import { IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import {
  GetAccountSettingsCommand,
  GetFunctionConcurrencyCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
} from '@aws-sdk/client-lambda';
import {
  CloudTrailClient,
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
} from '@aws-sdk/client-cloudtrail';
import {
  DescribeSecurityGroupsCommand,
  DescribeTrafficMirrorFiltersCommand,
  DescribeVpcsCommand,
} from '@aws-sdk/client-ec2';
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ListSubscriptionsByTopicCommand } from '@aws-sdk/client-sns';
import { afterEach, expect, test } from '@jest/globals';
import { parseSeed, startEmulator, type Emulator } from '../../local/emulator/index.ts';
import { credentials, ec2Client, failure, snsClient } from './fixture.ts';

/** The describes `autotap doctor` makes, answered by the local AWS as AWS answers them. */

const NLB_ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/sensor/0123456789abcdef';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function start() {
  emulator = await startEmulator({
    filters: [
      {
        id: 'tmf-1',
        rules: [
          { direction: 'egress', ruleNumber: 20, action: 'reject', protocol: 17 },
          { direction: 'ingress', ruleNumber: 10 },
        ],
      },
    ],
    securityGroups: [
      {
        id: 'sg-1',
        inbound: [{ protocol: 'udp', fromPort: 4789, toPort: 4789, cidrs: ['10.0.0.0/16'], groupIds: ['sg-1'] }],
      },
    ],
    networkInterfaces: [{ id: 'eni-sensor', securityGroupIds: ['sg-1'] }],
    vpcs: [{ id: 'vpc-1', cidrs: ['10.0.0.0/16', '100.64.0.0/16'] }],
    loadBalancers: [
      { arn: NLB_ARN, availabilityZones: ['us-east-1a', 'us-east-1b'], listeners: [{ protocol: 'UDP', port: 4789 }] },
    ],
    trails: [
      { name: 'here', multiRegion: false, logging: false },
      {
        name: 'org',
        homeRegion: 'eu-west-1',
        multiRegion: true,
        advancedEventSelectors: [{ fieldSelectors: [{ field: 'eventCategory', equals: ['Management'] }] }],
      },
      { name: 'elsewhere', homeRegion: 'eu-west-1', multiRegion: false },
    ],
    topics: ['ops'],
    subscriptions: [
      { topic: 'ops', protocol: 'email', endpoint: 'a@example.com', pendingConfirmation: true },
      { topic: 'ops', protocol: 'email', endpoint: 'b@example.com' },
    ],
    secrets: [{ name: 'appliance', value: 'key' }],
    roles: [
      {
        name: 'reader',
        policies: [
          {
            name: 'read',
            statements: [
              {
                effect: 'Allow',
                actions: ['SecretsManager:GetSecretValue'],
                resources: ['arn:aws:secretsmanager:us-east-1:123456789012:secret:app-??????'],
              },
              {
                effect: 'Deny',
                actions: ['secretsmanager:*'],
                resources: ['arn:aws:secretsmanager:us-east-1:123456789012:secret:app-denied'],
              },
            ],
          },
        ],
      },
    ],
    functions: [
      { name: 'poller', role: 'reader' },
      { name: 'webhook', role: 'reader', reservedConcurrency: 40 },
    ],
    lambdaConcurrentExecutions: 500,
  });
  const options = { endpoint: emulator.endpoint, region: emulator.region, credentials, maxAttempts: 1 };
  return {
    emulator,
    iam: new IAMClient(options),
    lambda: new LambdaClient(options),
    ec2: ec2Client(emulator),
    elb: new ElasticLoadBalancingV2Client(options),
    trail: new CloudTrailClient(options),
    secrets: new SecretsManagerClient(options),
  };
}

test('filters list their rules by direction, in rule-number order', async () => {
  const { ec2 } = await start();
  const out = await ec2.send(new DescribeTrafficMirrorFiltersCommand({ TrafficMirrorFilterIds: ['tmf-1'] }));
  const filter = out.TrafficMirrorFilters?.[0];
  expect(filter?.IngressFilterRules).toEqual([
    expect.objectContaining({
      RuleNumber: 10,
      RuleAction: 'accept',
      TrafficDirection: 'ingress',
      SourceCidrBlock: '0.0.0.0/0',
    }),
  ]);
  expect(filter?.EgressFilterRules).toEqual([
    expect.objectContaining({ RuleNumber: 20, RuleAction: 'reject', Protocol: 17 }),
  ]);
});

test('a filter holds at most 10 rules, as AWS allows', () => {
  const rules = Array.from({ length: 11 }, (_, i) => ({ direction: 'ingress' as const, ruleNumber: i + 1 }));
  expect(() => parseSeed({ filters: [{ id: 'tmf-1', rules }] })).toThrow(/at most 10 rules/);
});

test('security groups: inbound rules, and InvalidGroup.NotFound for an unknown id', async () => {
  const { ec2 } = await start();
  const out = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-1'] }));
  expect(out.SecurityGroups?.[0]?.IpPermissions).toEqual([
    expect.objectContaining({
      IpProtocol: 'udp',
      FromPort: 4789,
      ToPort: 4789,
      IpRanges: [{ CidrIp: '10.0.0.0/16' }],
      UserIdGroupPairs: [expect.objectContaining({ GroupId: 'sg-1' })],
    }),
  ]);
  expect((await failure(ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-2'] })))).name).toBe(
    'InvalidGroup.NotFound',
  );
  const filtered = await ec2.send(
    new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-id', Values: ['sg-2'] }] }),
  );
  expect(filtered.SecurityGroups).toEqual([]);
});

test('VPCs with their CIDR blocks; InvalidVpcID.NotFound for an unknown id', async () => {
  const { ec2 } = await start();
  const out = await ec2.send(new DescribeVpcsCommand({ VpcIds: ['vpc-1'] }));
  expect(out.Vpcs?.[0]).toMatchObject({ CidrBlock: '10.0.0.0/16' });
  expect(out.Vpcs?.[0]?.CidrBlockAssociationSet?.map((a) => [a.CidrBlock, a.CidrBlockState?.State])).toEqual([
    ['10.0.0.0/16', 'associated'],
    ['100.64.0.0/16', 'associated'],
  ]);
  expect((await failure(ec2.send(new DescribeVpcsCommand({ VpcIds: ['vpc-2'] })))).name).toBe('InvalidVpcID.NotFound');
});

test('an ENI referring to a security group the seed lacks is refused', () => {
  expect(() => parseSeed({ networkInterfaces: [{ id: 'eni-1', securityGroupIds: ['sg-9'] }] })).toThrow(
    /no security group sg-9/,
  );
});

test('load balancers and their listeners; LoadBalancerNotFound for an unknown ARN', async () => {
  const { elb } = await start();
  const out = await elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [NLB_ARN] }));
  expect(out.LoadBalancers?.[0]).toMatchObject({
    LoadBalancerName: 'sensor',
    Type: 'network',
    AvailabilityZones: [{ ZoneName: 'us-east-1a' }, { ZoneName: 'us-east-1b' }],
  });
  const listeners = await elb.send(new DescribeListenersCommand({ LoadBalancerArn: NLB_ARN }));
  expect(listeners.Listeners?.map((l) => `${l.Protocol} ${l.Port}`)).toEqual(['UDP 4789']);
  const gone = NLB_ARN.replace('sensor', 'gone');
  expect((await failure(elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [gone] })))).name).toBe(
    'LoadBalancerNotFoundException',
  );
  expect((await failure(elb.send(new DescribeListenersCommand({})))).name).toBe('ValidationError');
});

test("trails: this region's and other regions' multi-region ones; a shadow trail is named by ARN", async () => {
  const { trail } = await start();
  const { trailList = [] } = await trail.send(new DescribeTrailsCommand({}));
  expect(trailList.map((t) => t.Name).sort()).toEqual(['here', 'org']);
  expect((await trail.send(new GetTrailStatusCommand({ Name: 'here' }))).IsLogging).toBe(false);
  const org = trailList.find((t) => t.Name === 'org')!;
  expect((await failure(trail.send(new GetTrailStatusCommand({ Name: 'org' })))).name).toBe('TrailNotFoundException');
  expect((await trail.send(new GetTrailStatusCommand({ Name: org.TrailARN }))).IsLogging).toBe(true);
  const selectors = await trail.send(new GetEventSelectorsCommand({ TrailName: org.TrailARN }));
  expect(selectors.AdvancedEventSelectors?.[0]?.FieldSelectors).toEqual([
    { Field: 'eventCategory', Equals: ['Management'] },
  ]);
  // Without selectors a trail logs every management event, read and write.
  expect((await trail.send(new GetEventSelectorsCommand({ TrailName: 'here' }))).EventSelectors).toEqual([
    expect.objectContaining({ ReadWriteType: 'All', IncludeManagementEvents: true }),
  ]);
});

test('an unconfirmed subscription is listed as PendingConfirmation', async () => {
  const { emulator } = await start();
  const out = await snsClient(emulator).send(
    new ListSubscriptionsByTopicCommand({ TopicArn: `arn:aws:sns:us-east-1:${emulator.accountId}:ops` }),
  );
  expect(out.Subscriptions?.map((s) => [s.Endpoint, s.SubscriptionArn === 'PendingConfirmation'])).toEqual([
    ['a@example.com', true],
    ['b@example.com', false],
  ]);
});

test('DescribeSecret answers metadata, never the value; ResourceNotFoundException for an unknown secret', async () => {
  const { secrets } = await start();
  const out = await secrets.send(new DescribeSecretCommand({ SecretId: 'appliance' }));
  expect(out.Name).toBe('appliance');
  expect(out).not.toHaveProperty('SecretString');
  expect((await failure(secrets.send(new DescribeSecretCommand({ SecretId: 'nope' })))).name).toBe(
    'ResourceNotFoundException',
  );
});

test("a function's role; 404 ResourceNotFoundException for an unknown function", async () => {
  const { lambda } = await start();
  expect((await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'poller' }))).Role).toBe(
    'arn:aws:iam::123456789012:role/reader',
  );
  const missing = await failure(lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'nope' })));
  expect([missing.name, missing.$metadata?.httpStatusCode]).toEqual(['ResourceNotFoundException', 404]);
});

test("the account's concurrency quota and what its functions leave unreserved; a function's reservation", async () => {
  const { lambda } = await start();
  const settings = await lambda.send(new GetAccountSettingsCommand({}));
  expect(settings.AccountLimit).toEqual(
    expect.objectContaining({ ConcurrentExecutions: 500, UnreservedConcurrentExecutions: 460 }),
  );
  expect(
    (await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: 'webhook' }))).ReservedConcurrentExecutions,
  ).toBe(40);
  expect(
    (await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: 'poller' }))).ReservedConcurrentExecutions,
  ).toBeUndefined();
  const missing = await failure(lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: 'nope' })));
  expect(missing.name).toBe('ResourceNotFoundException');
});

test('a seed whose functions reserve more than Lambda lets an account reserve is refused', () => {
  expect(() =>
    parseSeed({
      lambdaConcurrentExecutions: 150,
      roles: [{ name: 'r' }],
      functions: [{ name: 'f', role: 'r', reservedConcurrency: 51 }],
    }),
  ).toThrow(/reserve 51 of 150 concurrent executions; Lambda keeps 100 unreserved/);
});

test('SimulatePrincipalPolicy: allowed by a matching Allow, explicit Deny wins, implicit deny otherwise', async () => {
  const { iam } = await start();
  const decide = async (resource: string) => {
    const out = await iam.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: 'arn:aws:iam::123456789012:role/reader',
        ActionNames: ['secretsmanager:GetSecretValue'],
        ResourceArns: [resource],
      }),
    );
    return out.EvaluationResults?.[0]?.EvalDecision;
  };
  expect(await decide('arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf')).toBe('allowed');
  expect(await decide('arn:aws:secretsmanager:us-east-1:123456789012:secret:app-denied')).toBe('explicitDeny');
  expect(await decide('arn:aws:secretsmanager:us-east-1:123456789012:secret:other-AbCdEf')).toBe('implicitDeny');
  const missing = await failure(
    iam.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: 'arn:aws:iam::123456789012:role/nobody',
        ActionNames: ['s3:GetObject'],
      }),
    ),
  );
  expect(missing.name).toBe('NoSuchEntityException');
});
