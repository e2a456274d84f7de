import { NAME_LIMITS, namesInResources, serviceNames, stageNameRefusal } from '../../deploy/name-limits.ts';

/** A service as osls hands it to a plugin, with names of the shapes serverless.yml gives. */
function service(stage: string) {
  return {
    service: 'autotap',
    provider: { stage },
    getAllFunctions: () => ['normalizeCleanupInput', 'detectionsPoll'],
    getFunction: (key: string) =>
      key === 'detectionsPoll'
        ? {
            name: `autotap-${stage}-detectionsPoll`,
            events: [{ eventBridge: { name: `autotap-${stage}-detections-poll` } }],
          }
        : {},
    stepFunctions: {
      stateMachines: {
        cleanupSessions: {
          name: `autotap-${stage}-cleanup-sessions`,
          events: [{ eventBridge: { name: `autotap-${stage}-interface-detached` } }],
        },
      },
    },
    resources: {
      Resources: {
        Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: `autotap-${stage}-launch-events-dlq` } },
        Alarm: { Type: 'AWS::CloudWatch::Alarm', Properties: { AlarmName: `autotap-${stage}-poll-errors` } },
        Generated: { Type: 'AWS::IAM::Role', Properties: { Description: 'named by CloudFormation' } },
        Computed: { Type: 'AWS::SNS::Topic', Properties: { TopicName: { 'Fn::Sub': 'x' } } },
      },
    },
  };
}

describe('generated names', () => {
  test('come from functions (named <service>-<stage>-<key> unless named), machines, their rules and resources', () => {
    expect(serviceNames(service('prod'))).toEqual([
      { name: 'autotap-prod', type: 'AWS::CloudFormation::Stack' },
      { name: 'autotap-prod-normalizeCleanupInput', type: 'AWS::Lambda::Function' },
      { name: 'autotap-prod-detectionsPoll', type: 'AWS::Lambda::Function' },
      { name: 'autotap-prod-detections-poll', type: 'AWS::Events::Rule' },
      { name: 'autotap-prod-cleanup-sessions', type: 'AWS::StepFunctions::StateMachine' },
      { name: 'autotap-prod-interface-detached', type: 'AWS::Events::Rule' },
      { name: 'autotap-prod-launch-events-dlq', type: 'AWS::SQS::Queue' },
      { name: 'autotap-prod-poll-errors', type: 'AWS::CloudWatch::Alarm' },
    ]);
  });

  test('a name CloudFormation generates or computes is not one to check', () => {
    expect(namesInResources(service('prod').resources.Resources).map((n) => n.type)).toEqual([
      'AWS::SQS::Queue',
      'AWS::CloudWatch::Alarm',
    ]);
  });
});

describe('a stage too long for its names', () => {
  // autotap-<stage>-normalizeCleanupInput: 8 + 1 + 21 characters around the stage, 64 for a function.
  const longest = 64 - 'autotap--normalizeCleanupInput'.length;

  test('the longest allowed stage packages', () => {
    const stage = 'a'.repeat(longest);
    expect(stageNameRefusal(serviceNames(service(stage)), stage)).toBeUndefined();
  });

  test('one character more is refused, naming the name, its limit, the page and the longest stage', () => {
    const stage = 'a'.repeat(longest + 1);
    const refusal = stageNameRefusal(serviceNames(service(stage)), stage)!;
    expect(refusal).toContain(`stage "${stage}" makes names that AWS would refuse at deploy time:`);
    expect(refusal).toContain(
      `autotap-${stage}-normalizeCleanupInput: 65 characters, and Lambda function names take at most 64 (${NAME_LIMITS['AWS::Lambda::Function']!.page})`,
    );
    expect(refusal).toContain(`The longest stage name this stack allows is ${longest} characters`);
    expect(refusal.split('\n')).toHaveLength(3);
  });

  test('every name over its limit is listed: rules and queues have their own', () => {
    const stage = 'b'.repeat(60);
    const refusal = stageNameRefusal(serviceNames(service(stage)), stage)!;
    expect(refusal).toContain('EventBridge rule names take at most 64');
    expect(refusal).toContain('SQS queue names take at most 80');
    expect(refusal).not.toContain('alarm');
  });

  test('a stage that appears twice in a name counts twice', () => {
    const names = [{ name: 'x-ab-ab', type: 'AWS::Events::Rule' as const }];
    expect(stageNameRefusal(names, 'ab')).toBeUndefined();
    const long = 'c'.repeat(32);
    expect(stageNameRefusal([{ name: `x-${long}-${long}`, type: 'AWS::Events::Rule' }], long)).toContain(
      'allows is 30 characters',
    );
  });
});
