import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { memberTemplate } from '../../deploy/member-template.ts';
import { forwardedSources, organizationResourcesOf } from '../../deploy/organization.ts';
import { loadConfigFile, parseConfig } from '../../src/config/load.ts';
import { root, type Template } from '../template/inspect.ts';
import { specificationProblems } from '../validators/cloudformation-spec.ts';

/** The central stack's side: its default bus admits what the member template forwards, and nothing more. */

const config = loadConfigFile(path.join(root, 'tests', 'organization', 'fixtures', 'organization.yml'));

describe('the central bus policy', () => {
  test('valid CloudFormation; only the organization, only the sources the members forward', () => {
    const fragment = organizationResourcesOf(config, 'org');
    expect(specificationProblems(fragment as unknown as Template)).toEqual([]);
    const member = memberTemplate(config, 'org');
    const forwarded = Object.values(member.Resources)
      .filter((r) => r.Type === 'AWS::Events::Rule')
      .flatMap((r) => (r.Properties.EventPattern as { source: string[] }).source);
    expect([...new Set(forwarded)].sort()).toEqual(forwardedSources(config));
    expect(forwardedSources(config)).toEqual(['aws.ec2', 'aws.tag']);
    const statement = fragment.Resources.OrganizationEventsPolicy!.Properties.Statement as {
      Condition: { StringEquals: Record<string, unknown> };
    };
    expect(statement.Condition.StringEquals).toEqual({
      'aws:PrincipalOrgID': 'o-a1b2c3d4e5',
      'events:source': ['aws.ec2', 'aws.tag'],
    });
  });

  test('ECS tasks add their source; a stage without organization has no policy at all', () => {
    const withTasks = parseConfig({
      ...config,
      mirroring: { ...config.mirroring, sources: { ...config.mirroring.sources, ecsTasks: true } },
    });
    expect(forwardedSources(withTasks)).toEqual(['aws.ec2', 'aws.ecs', 'aws.tag']);
    expect(organizationResourcesOf({ ...config, organization: undefined }, 'org')).toEqual({ Resources: {} });
  });
});
