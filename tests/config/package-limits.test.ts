/**
 * The size limits packaging checks (deploy/package-limits.ts): Lambda's 4 KB of environment and
 * CloudFormation's stack limits. A real `serverless package` refusing an environment over the limit
 * is in tests/template/package.slow.test.ts.
 */
import PackageLimits, {
  CLOUDFORMATION_MAX_RESOURCES,
  LAMBDA_ENVIRONMENT_LIMIT_BYTES,
  MAX_UNKNOWN_VALUE_BYTES,
  environmentBytes,
  measureEnvironments,
  oversizedEnvironments,
  oversizedStack,
  resolvedValue,
  type PackagingServerless,
} from '../../deploy/package-limits.ts';

const resources = {
  OpsTopic: { Type: 'AWS::SNS::Topic', Properties: { TopicName: 'autotap-dev-ops' } },
  DetectionsQueue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'autotap-dev-detections' } },
  DetectionsTable: { Type: 'AWS::DynamoDB::Table', Properties: {} },
  Mystery: { Type: 'AWS::Some::Thing', Properties: {} },
};

/** Variables that measure exactly `bytes` as Lambda counts them. */
const ofSize = (bytes: number) => ({ BIG: 'x'.repeat(bytes - environmentBytes({ BIG: '' })) });

describe('Lambda environment limit', () => {
  test('the limit is 4 KB of names and values measured as one JSON object, in UTF-8 bytes', () => {
    expect(LAMBDA_ENVIRONMENT_LIMIT_BYTES).toBe(4096);
    expect(environmentBytes({ A: 'b', CC: 'dd' })).toBe('{"A":"b","CC":"dd"}'.length);
    expect(environmentBytes({ A: 'é' })).toBe('{"A":""}'.length + 2);
    expect(environmentBytes({ A: '"' })).toBe('{"A":"\\""}'.length);
  });

  test('exactly 4,096 bytes fit; one more is refused, naming the limit, the function and its size', () => {
    const fits = measureEnvironments({ functions: { f: ofSize(4096) }, region: 'us-east-1' });
    expect(fits[0]!.bytes).toBe(4096);
    expect(oversizedEnvironments(fits)).toBeUndefined();
    const over = measureEnvironments({
      providerEnvironment: { LOG_LEVEL: 'INFO' },
      functions: { small: {}, big: ofSize(4097 - ',"LOG_LEVEL":"INFO"'.length) },
      region: 'us-east-1',
    });
    const refusal = oversizedEnvironments(over)!;
    expect(refusal).toContain('4 KB (4096 bytes');
    expect(refusal).toContain('https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html');
    expect(refusal).toMatch(/^ {2}big: 4097 bytes \(largest: BIG \d+ bytes, LOG_LEVEL 18 bytes\)$/m);
    expect(refusal).not.toMatch(/small/);
  });

  test('intrinsics count as what the deploy resolves them to, or as long as they could be', () => {
    expect(resolvedValue({ Ref: 'OpsTopic' }, resources, 'us-east-1')).toBe(
      'arn:aws:sns:us-east-1:000000000000:autotap-dev-ops',
    );
    expect(resolvedValue({ Ref: 'OpsTopic' }, resources, 'cn-north-1')).toMatch(/^arn:aws-cn:sns:/);
    expect(resolvedValue({ Ref: 'DetectionsQueue' }, resources, 'us-east-1')).toBe(
      'https://sqs.us-east-1.amazonaws.com/000000000000/autotap-dev-detections',
    );
    // A table CloudFormation names: as long as a table name can be.
    expect(resolvedValue({ Ref: 'DetectionsTable' }, resources, 'us-east-1')).toHaveLength(255);
    for (const unknown of [
      { Ref: 'Mystery' },
      { Ref: 'NotInTheStack' },
      { 'Fn::GetAtt': ['DetectionsQueue', 'Arn'] },
      { 'Fn::Sub': '${AWS::Region}' },
    ]) {
      expect(resolvedValue(unknown, resources, 'us-east-1')).toHaveLength(MAX_UNKNOWN_VALUE_BYTES);
    }
    const [measured] = measureEnvironments({
      providerEnvironment: { OPS_TOPIC_ARN: { Ref: 'OpsTopic' } },
      functions: { f: { MYSTERY: { Ref: 'Mystery' } } },
      resources,
      region: 'us-east-1',
    });
    expect(measured!.bytes).toBe(
      environmentBytes({
        OPS_TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:autotap-dev-ops',
        MYSTERY: 'x'.repeat(MAX_UNKNOWN_VALUE_BYTES),
      }),
    );
  });

  test("the function's own variable wins over the provider's, as osls merges them", () => {
    const [measured] = measureEnvironments({
      providerEnvironment: { A: 'x'.repeat(5000) },
      functions: { f: { A: 'short' } },
      region: 'us-east-1',
    });
    expect(measured!.bytes).toBe(environmentBytes({ A: 'short' }));
  });

  test('the plugin refuses packaging with a framework error', () => {
    class FrameworkError extends Error {}
    const functions: Record<string, { environment?: Record<string, unknown> }> = {
      ok: {},
      big: { environment: ofSize(5000) },
    };
    const serverless = {
      classes: { Error: FrameworkError },
      service: {
        provider: { region: 'us-east-1', environment: { OPS_TOPIC_ARN: { Ref: 'OpsTopic' } } },
        resources: { Resources: resources },
        getAllFunctions: () => Object.keys(functions),
        getFunction: (name: string) => functions[name]!,
      },
    };
    const plugin = new PackageLimits(serverless as unknown as PackagingServerless);
    const hook = plugin.hooks['before:package:createDeploymentArtifacts']!;
    expect(hook).toThrow(FrameworkError);
    expect(hook).toThrow(/big: 50\d\d bytes/);
    delete functions.big;
    expect(hook).not.toThrow();
  });
});

describe('CloudFormation stack limits', () => {
  const stack = (topics: number, subscriptions: number) => ({
    Resources: {
      ...Object.fromEntries(Array.from({ length: topics }, (_, n) => [`Topic${n}`, { Type: 'AWS::SNS::Topic' }])),
      ...Object.fromEntries(
        Array.from({ length: subscriptions }, (_, n) => [`Subscription${n}`, { Type: 'AWS::SNS::Subscription' }]),
      ),
    },
  });

  test('500 resources fit; 501 are refused, naming the limit, the count and the email subscriptions', () => {
    expect(CLOUDFORMATION_MAX_RESOURCES).toBe(500);
    expect(oversizedStack(stack(100, 400))).toBeUndefined();
    expect(oversizedStack(stack(101, 400))).toBe(
      'CloudFormation allows 500 resources in a stack and this one has 501, 400 of them email subscriptions (one per address of notifications.opsEmails and detections.emails) (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html)',
    );
  });

  test('a template over 1 MB is refused', () => {
    expect(
      oversizedStack({
        Resources: { Big: { Type: 'AWS::SNS::Topic', Properties: { DisplayName: 'x'.repeat(1_000_000) } } as never },
      }),
    ).toMatch(/allows a template of 1000000 bytes and this one has 10000\d\d/);
  });

  test('the plugin checks the complete template before it is saved', () => {
    class FrameworkError extends Error {}
    const serverless = {
      classes: { Error: FrameworkError },
      service: { provider: { compiledCloudFormationTemplate: stack(0, 501) } },
    };
    const hook = new PackageLimits(serverless as unknown as PackagingServerless).hooks[
      'before:aws:package:finalize:saveServiceState'
    ]!;
    expect(hook).toThrow(FrameworkError);
    serverless.service.provider.compiledCloudFormationTemplate = stack(0, 500);
    expect(hook).not.toThrow();
  });
});
