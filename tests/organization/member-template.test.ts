import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { memberTemplate, MEMBER_ROLE, FORWARD_ROLE } from '../../deploy/member-template.ts';
import { matchesPattern } from '../../local/eventbridge/pattern.ts';
import { loadConfigFile } from '../../src/config/load.ts';
import { packagedRules, ruleName } from '../../src/mirroring/event-rules.ts';
import {
  ACCOUNT,
  evaluate,
  node,
  root,
  rolePolicyStatements,
  type Statement,
  type Template,
} from '../template/inspect.ts';
import { specificationProblems } from '../validators/cloudformation-spec.ts';
import { iamActionProblems } from '../validators/iam-actions.ts';

/**
 * The member template of the organization deployment, as `autotap member-template` writes it, checked
 * by the independent validators and evaluated as a StackSet deploy into the member ACCOUNT would.
 */

const FIXTURE = path.join(root, 'tests', 'organization', 'fixtures', 'organization.yml');
const config = loadConfigFile(FIXTURE);
const template = memberTemplate(config, 'org') as unknown as Template & Parameters<typeof specificationProblems>[0];
const CENTRAL = '111111111111';
const value = (v: unknown) => evaluate(template, v);

const sample = (file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(path.join(root, 'events', file), 'utf8')) as Record<string, unknown>;
const byRole = (event: Record<string, unknown>, roleArn: string) => ({
  ...event,
  detail: {
    ...(event.detail as object),
    userIdentity: {
      type: 'AssumedRole',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${roleArn.split('/').pop()}/session`,
      sessionContext: { sessionIssuer: { type: 'Role', arn: roleArn, accountId: ACCOUNT } },
    },
  },
});

describe('member template', () => {
  test('the CloudFormation specification and the SDK operations find nothing wrong', async () => {
    expect(specificationProblems(template)).toEqual([]);
    expect(await iamActionProblems(template)).toEqual([]);
  });

  test("every packaged rule of the stage is forwarded to the central account's default bus, through its role, with a dead-letter queue", () => {
    const rules = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Events::Rule');
    // And its dead-letter alarm's state changes, which the central account tells the ops topic of.
    expect(rules.map((r) => r.Properties.Name).sort()).toEqual(
      [...packagedRules(config).map((r) => ruleName('org', r)), 'autotap-org-forward-alarm'].sort(),
    );
    const alarm = template.Resources.ForwardDeadLetterAlarm!.Properties;
    expect(alarm).toMatchObject({
      AlarmName: 'autotap-org-member-forward-dlq',
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(template.Resources.ForwardDeadLetterAlarmRule!.Properties.EventPattern).toEqual({
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      resources: [{ 'Fn::GetAtt': ['ForwardDeadLetterAlarm', 'Arn'] }],
    });
    for (const rule of rules) {
      const [target, ...others] = rule.Properties.Targets as Record<string, unknown>[];
      expect(others).toEqual([]);
      expect(value(target!.Arn)).toBe(`arn:aws:events:us-east-1:${CENTRAL}:event-bus/default`);
      expect(target!.RoleArn).toEqual({ 'Fn::GetAtt': [FORWARD_ROLE, 'Arn'] });
      expect(target!.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': ['ForwardDeadLetterQueue', 'Arn'] } });
    }
    // EventBridge's role may put events on that bus and nothing else.
    expect(rolePolicyStatements(template, FORWARD_ROLE).map((s) => [s.Action, value(s.Resource)])).toEqual([
      [['events:PutEvents'], `arn:aws:events:us-east-1:${CENTRAL}:event-bus/default`],
    ]);
  });

  test("the forwarded patterns match the member's launches, and a session change by the member role is not tampering", () => {
    const patterns: Record<string, Record<string, unknown>> = Object.fromEntries(
      Object.values(template.Resources)
        .filter((r) => r.Type === 'AWS::Events::Rule')
        .map((r) => [String(r.Properties.Name), value(r.Properties.EventPattern) as Record<string, unknown>]),
    );
    const running = { ...sample('ec2-instance-running.json'), account: ACCOUNT };
    expect(matchesPattern(patterns['autotap-org-instance-running']!, running)).toBe(true);
    const deleted = sample('cloudtrail-delete-traffic-mirror-session.json');
    const tamper = patterns['autotap-org-session-tampered']!;
    expect(matchesPattern(tamper, byRole(deleted, `arn:aws:iam::${ACCOUNT}:role/someone-else`))).toBe(true);
    expect(matchesPattern(tamper, byRole(deleted, `arn:aws:iam::${ACCOUNT}:role/autotap-member-us-east-1`))).toBe(
      false,
    );
    expect(patterns['autotap-org-load-balancer-interface-created']).toBeDefined();
  });

  test("the member role: assumed only by the central stack's roles; sessions changed only when autotap's", () => {
    const role = template.Resources[MEMBER_ROLE]!;
    expect(value(role.Properties.RoleName)).toBe('autotap-member-us-east-1');
    const trust = (role.Properties.AssumeRolePolicyDocument as { Statement: Statement[] }).Statement;
    expect(trust.map((s) => [s.Action, value((s.Principal as { AWS: unknown }).AWS), value(s.Condition)])).toEqual([
      [
        'sts:AssumeRole',
        `arn:aws:iam::${CENTRAL}:root`,
        { ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${CENTRAL}:role/autotap-org-*` } },
      ],
    ]);
    const statements = rolePolicyStatements(template, MEMBER_ROLE);
    const granting = (action: string) => statements.filter((s) => (s.Action as string[]).includes(action));
    // Delete only on sessions tagged autotap:managed=true, in this account.
    expect(granting('ec2:DeleteTrafficMirrorSession').map((s) => [value(s.Resource), s.Condition])).toEqual([
      [
        `arn:aws:ec2:us-east-1:${ACCOUNT}:traffic-mirror-session/*`,
        { StringEquals: { 'aws:ResourceTag/autotap:managed': 'true' } },
      ],
    ]);
    // Modify is granted on filters and targets too, which a modification names; on a session only when autotap's.
    const modifiesSessions = granting('ec2:ModifyTrafficMirrorSession').filter((s) =>
      JSON.stringify(value(s.Resource)).includes('traffic-mirror-session'),
    );
    expect(modifiesSessions.map((s) => s.Condition)).toEqual([
      { StringEquals: { 'aws:ResourceTag/autotap:managed': 'true' } },
    ]);
    // A new session must carry autotap:managed=true, and autotap's tag keys only.
    const creates = granting('ec2:CreateTrafficMirrorSession').filter((s) =>
      JSON.stringify(value(s.Resource)).includes('traffic-mirror-session/'),
    );
    expect(creates.map((s) => s.Condition?.StringEquals)).toEqual([{ 'aws:RequestTag/autotap:managed': 'true' }]);
    // The shared target (its owner is the central account) and the member's own, by id; the member's filter.
    expect(
      value(granting('ec2:CreateTrafficMirrorSession').find((s) => s.Sid === 'MirrorToConfiguredTargets')!.Resource),
    ).toEqual([
      'arn:aws:ec2:us-east-1:*:traffic-mirror-target/tmt-0c0000000000000a1',
      'arn:aws:ec2:us-east-1:*:traffic-mirror-target/tmt-0c0000000000000b2',
    ]);
    expect(value(statements.find((s) => s.Sid === 'MirrorWithMemberFilters')!.Resource)).toEqual([
      `arn:aws:ec2:us-east-1:${ACCOUNT}:traffic-mirror-filter/{TrafficMirrorFilter}`,
    ]);
    // ENIs of the scopes' VPCs (the stage's and the member override's), in this account.
    expect(value(statements.find((s) => s.Sid === 'MirrorNetworkInterfaces')!.Condition)).toEqual({
      ArnEquals: {
        'ec2:Vpc': [
          `arn:aws:ec2:us-east-1:${ACCOUNT}:vpc/vpc-0c0000000000000a1`,
          `arn:aws:ec2:us-east-1:${ACCOUNT}:vpc/vpc-0c0000000000000b2`,
        ],
      },
    });
    expect(JSON.stringify(statements)).not.toMatch(/"ec2:\*"|"\*:\*"/);
  });

  test("the member's filter is the stage's create.filter, tagged for the central workflows to find", () => {
    const filter = template.Resources['TrafficMirrorFilter']!;
    expect(filter.Properties.Tags).toContainEqual({ Key: 'autotap:filter', Value: 'org' });
    const rules = Object.values(template.Resources).filter((r) => r.Type === 'AWS::EC2::TrafficMirrorFilterRule');
    // The exclusion's peer: the source of what comes in, the destination of what goes out.
    const peer = (p: Record<string, unknown>) =>
      p.TrafficDirection === 'ingress' ? p.SourceCidrBlock : p.DestinationCidrBlock;
    expect(rules.filter((r) => r.Properties.RuleAction === 'reject').map((r) => peer(r.Properties))).toEqual([
      '10.9.0.0/16',
      '10.9.0.0/16',
    ]);
  });

  test('`autotap member-template --out` writes the same template; a stage without organization is told why', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'autotap-member-'));
    try {
      const out = path.join(dir, 'member.json');
      execFileSync(node, ['bin/autotap.js', 'member-template', '--stage', 'org', '--config', FIXTURE, '--out', out], {
        cwd: root,
        stdio: 'pipe',
      });
      expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(template);
      let stderr = '';
      try {
        execFileSync(node, ['bin/autotap.js', 'member-template', '--stage', 'dev'], { cwd: root, stdio: 'pipe' });
      } catch (error) {
        stderr = String((error as { stderr: Buffer }).stderr);
      }
      expect(stderr).toContain('organization: not configured');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
