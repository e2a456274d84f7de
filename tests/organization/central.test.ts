import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { memberTemplate } from '../../deploy/member-template.ts';
import { forwardedSources, opsRuleArnsOf, organizationResourcesOf } from '../../deploy/organization.ts';
import { matchesPattern } from '../../local/eventbridge/pattern.ts';
import { loadConfigFile, parseConfig } from '../../src/config/load.ts';
import { root, type Template } from '../template/inspect.ts';
import { specificationProblems } from '../validators/cloudformation-spec.ts';

/** The central stack's side: its default bus admits what the member template forwards, and nothing more. */

const config = loadConfigFile(path.join(root, 'tests', 'organization', 'fixtures', 'organization.yml'));

describe('the central bus policy', () => {
  test('valid CloudFormation; only the organization, only the sources the members forward', () => {
    const fragment = organizationResourcesOf(config, 'org');
    // The ops topic and the rules' dead-letter queue are the central stack's own (serverless.yml).
    const stack = {
      Resources: {
        ...fragment.Resources,
        OpsTopic: { Type: 'AWS::SNS::Topic', Properties: {} },
        RuleEventsDeadLetterQueue: { Type: 'AWS::SQS::Queue', Properties: {} },
      },
    };
    expect(specificationProblems(stack as unknown as Template)).toEqual([]);
    const member = memberTemplate(config, 'org');
    const forwarded = Object.values(member.Resources)
      .filter((r) => r.Type === 'AWS::Events::Rule')
      .flatMap((r) => (r.Properties.EventPattern as { source: string[] }).source);
    expect([...new Set(forwarded)].sort()).toEqual(forwardedSources(config));
    expect(forwardedSources(config)).toEqual(['aws.cloudwatch', 'aws.ec2', 'aws.tag']);
    const statement = fragment.Resources.OrganizationEventsPolicy!.Properties.Statement as {
      Condition: { StringEquals: Record<string, unknown> };
    };
    expect(statement.Condition.StringEquals).toEqual({
      'aws:PrincipalOrgID': 'o-a1b2c3d4e5',
      'events:source': ['aws.cloudwatch', 'aws.ec2', 'aws.tag'],
    });
  });

  test("a member's dead-letter alarm reaches the ops topic, naming its account and Region; other alarms do not", () => {
    const fragment = organizationResourcesOf(config, 'org');
    const rule = fragment.Resources.MemberAlarmsRule!.Properties as {
      EventPattern: Record<string, unknown>;
      Targets: { Arn: unknown; InputTransformer: { InputPathsMap: Record<string, string>; InputTemplate: string } }[];
    };
    const alarm = JSON.parse(
      readFileSync(path.join(root, 'events', 'cloudwatch-alarm-state-change.json'), 'utf8').replaceAll(
        'autotap-dev-',
        'autotap-org-',
      ),
    ) as Record<string, unknown> & { detail: Record<string, unknown> };
    expect(matchesPattern(rule.EventPattern, alarm)).toBe(true);
    expect(matchesPattern(rule.EventPattern, { ...alarm, detail: { ...alarm.detail, state: { value: 'OK' } } })).toBe(
      false,
    );
    expect(
      matchesPattern(rule.EventPattern, { ...alarm, detail: { ...alarm.detail, alarmName: 'someone-elses-alarm' } }),
    ).toBe(false);
    const [target] = rule.Targets;
    expect(target!.Arn).toEqual({ Ref: 'OpsTopic' });
    expect(target!.InputTransformer.InputPathsMap).toMatchObject({ account: '$.account', region: '$.region' });
    // The ops topic takes this rule's events by its ARN, beside the failed executions'.
    expect(opsRuleArnsOf(config)).toEqual([
      { 'Fn::GetAtt': ['ExecutionFailedRule', 'Arn'] },
      { 'Fn::GetAtt': ['MemberAlarmsRule', 'Arn'] },
    ]);
    expect(opsRuleArnsOf({ ...config, organization: undefined })).toEqual([
      { 'Fn::GetAtt': ['ExecutionFailedRule', 'Arn'] },
    ]);
  });

  test('ECS tasks add their source; a stage without organization has no policy at all', () => {
    const withTasks = parseConfig({
      ...config,
      mirroring: { ...config.mirroring, sources: { ...config.mirroring.sources, ecsTasks: true } },
    });
    expect(forwardedSources(withTasks)).toEqual(['aws.cloudwatch', 'aws.ec2', 'aws.ecs', 'aws.tag']);
    expect(organizationResourcesOf({ ...config, organization: undefined }, 'org')).toEqual({ Resources: {} });
  });
});
