/**
 * The independent validators applied to the packaged templates: registered by
 * tests/template/package.slow.test.ts, which packages the service once per configuration (the mirroring
 * stack alone, every optional part enabled, and a stage of 200 targets and recipients).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { asArray, evaluate, root, type Template } from '../template/inspect.ts';
import { specificationProblems } from './cloudformation-spec.ts';
import { matchesPattern, patternPaths } from '../../local/eventbridge/pattern.ts';
import { unknownPatternFields } from './event-schema.ts';
import { iamActionProblems } from './iam-actions.ts';
import { overQuota, quotaMeasures } from './quotas.ts';

export interface PackagedStage {
  stage: string;
  template: Template;
}

type Event = Record<string, unknown>;

/** events/<file> as the stage's resources would send it (samples name the dev stage). */
const sampleFor = (file: string, stage: string): Event =>
  JSON.parse(
    readFileSync(path.join(root, 'events', file), 'utf8').replaceAll('autotap-dev-', `autotap-${stage}-`),
  ) as Event;

const withDetail = (event: Event, change: Record<string, unknown>): Event => ({
  ...event,
  detail: { ...(event.detail as object), ...change },
});

/** A source kind's rule under its logical id, found by the rule's name, when the stage packages it. */
function sourceKindRule(
  template: Template,
  name: string,
  cases: { matches: Event[]; misses: Event[] },
): Record<string, { matches: Event[]; misses: Event[] }> {
  const found = Object.entries(template.Resources).find(
    ([, r]) => r.Type === 'AWS::Events::Rule' && String(r.Properties.Name).endsWith(`-${name}`),
  );
  return found ? { [found[0]]: cases } : {};
}

/** The AWS event each rule of the template must start on, with near misses it must not. */
function ruleCases(stage: string, template: Template): Record<string, { matches: Event[]; misses: Event[] }> {
  const failed = sampleFor('step-functions-execution-failed.json', stage);
  const running = sampleFor('ec2-instance-running.json', stage);
  const terminated = sampleFor('ec2-instance-terminated.json', stage);
  const attach = sampleFor('cloudtrail-attach-network-interface.json', stage);
  const detach = sampleFor('cloudtrail-detach-network-interface.json', stage);
  const tagChange = sampleFor('tag-change-on-instance.json', stage);
  const tagCreated = sampleFor('cloudtrail-create-tags.json', stage);
  const tagDeleted = sampleFor('cloudtrail-delete-tags.json', stage);
  const sessionDeleted = sampleFor('cloudtrail-delete-traffic-mirror-session.json', stage);
  const sessionModified = sampleFor('cloudtrail-modify-traffic-mirror-session.json', stage);
  const taskRunning = sampleFor('ecs-task-running.json', stage);
  const lbCreated = sampleFor('cloudtrail-create-load-balancer-interface.json', stage);
  const memberAlarm = sampleFor('cloudwatch-alarm-state-change.json', stage);
  const byRole = (event: Event, roleId: string): Event => {
    const roleArn = evaluate(template, { 'Fn::GetAtt': [roleId, 'Arn'] }) as string;
    return withDetail(event, {
      userIdentity: {
        type: 'AssumedRole',
        arn: `arn:aws:sts::123456789012:assumed-role/${roleArn.split('/').pop()}/autotap-${stage}-fn`,
        accountId: '123456789012',
        sessionContext: { sessionIssuer: { type: 'Role', arn: roleArn, accountId: '123456789012' } },
      },
    });
  };
  const byUser = withDetail(sessionDeleted, {
    userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::123456789012:user/alice', accountId: '123456789012' },
  });
  const machine = (name: string) => `arn:aws:states:us-east-1:123456789012:stateMachine:autotap-${stage}-${name}`;
  // With an organization: a member's dead-letter alarm, forwarded to the central bus.
  const memberAlarms: Record<string, { matches: Event[]; misses: Event[] }> = template.Resources.MemberAlarmsRule
    ? {
        MemberAlarmsRule: {
          matches: [memberAlarm],
          misses: [
            withDetail(memberAlarm, { state: { value: 'OK', reason: 'x', reasonData: '{}', timestamp: 'x' } }),
            withDetail(memberAlarm, { alarmName: 'someone-elses-alarm' }),
            failed,
          ],
        },
      }
    : {};
  return {
    ...memberAlarms,
    ExecutionFailedRule: {
      matches: ['mirror-instances', 'cleanup-sessions', 'reconcile'].flatMap((name) =>
        ['FAILED', 'TIMED_OUT', 'ABORTED'].map((status) =>
          withDetail(failed, { stateMachineArn: machine(name), status }),
        ),
      ),
      misses: [
        withDetail(failed, { status: 'SUCCEEDED' }),
        withDetail(failed, { status: 'RUNNING' }),
        withDetail(failed, { stateMachineArn: machine('someone-else') }),
      ],
    },
    MirrorInstancesEventsRuleCloudWatchEvent1: { matches: [running], misses: [terminated, attach] },
    MirrorInstancesEventsRuleCloudWatchEvent2: { matches: [attach], misses: [detach, running] },
    // The source kinds' rules, in a stage that opts into them (config/dev.yml opts into both).
    ...sourceKindRule(template, 'ecs-task-running', {
      matches: [taskRunning],
      misses: [
        running,
        withDetail(taskRunning, { launchType: 'FARGATE' }),
        withDetail(taskRunning, { lastStatus: 'PENDING' }),
        withDetail(taskRunning, { desiredStatus: 'STOPPED' }),
      ],
    }),
    ...sourceKindRule(template, 'load-balancer-interface-created', {
      matches: [lbCreated],
      misses: [
        attach,
        withDetail(lbCreated, {
          requestParameters: { subnetId: 'subnet-0a1b2c3d4e5f60001', description: 'my own ENI' },
        }),
        withDetail(lbCreated, { errorCode: 'Client.UnauthorizedOperation' }),
      ],
    }),
    CleanupSessionsEventsRuleCloudWatchEvent1: {
      matches: [terminated, withDetail(terminated, { state: 'stopped' })],
      misses: [running],
    },
    CleanupSessionsEventsRuleCloudWatchEvent2: { matches: [detach], misses: [attach, terminated] },
    // Changes of the scope's keys only (the stages' scopes keep the opt-out tag, autotap:mirror).
    TagsChangedRule: {
      matches: [tagChange, withDetail(tagChange, { 'changed-tag-keys': ['owner', 'autotap:mirror'] })],
      misses: [
        attach,
        running,
        withDetail(tagChange, { 'resource-type': 'volume' }),
        withDetail(tagChange, { 'changed-tag-keys': ['owner', 'cost-center'] }),
      ],
    },
    TagCallsRule: {
      matches: [tagCreated, tagDeleted],
      misses: [attach, tagChange, withDetail(tagCreated, { errorCode: 'Client.UnauthorizedOperation' })],
    },
    // Someone else's delete or modify; autotap's own roles' calls are not tampering.
    ReconcileEventsRuleCloudWatchEvent1: {
      matches: [sessionDeleted, sessionModified, byUser],
      misses: [
        ...['AttachSessionRole', 'ReconcileRoundRole', 'ReconcileSliceRole'].flatMap((role) => [
          byRole(sessionDeleted, role),
          byRole(sessionModified, role),
        ]),
        withDetail(sessionDeleted, { errorCode: 'Client.UnauthorizedOperation' }),
        detach,
        tagChange,
      ],
    },
  };
}

export function registerValidatorTests(get: () => PackagedStage[], stages: string[]): void {
  describe('independent validators on the packaged templates', () => {
    const templateOf = (stage: string) => get().find((s) => s.stage === stage)!.template;

    test.each(stages)('%s: every resource as the CloudFormation resource specification defines it', (stage) => {
      expect(specificationProblems(templateOf(stage))).toEqual([]);
    });

    test.each(stages)(
      '%s: every IAM action is one AWS defines (and an SDK operation where the SDK client is used)',
      async (stage) => {
        expect(await iamActionProblems(templateOf(stage))).toEqual([]);
      },
    );

    test.each(stages)("%s: within CloudFormation's and IAM's size quotas", (stage) => {
      const template = templateOf(stage);
      expect(overQuota(template)).toEqual([]);
      const largest = quotaMeasures(template)
        .filter((m) => m.what.endsWith('policies'))
        .sort((a, b) => b.size / b.limit - a.size / a.limit)[0]!;
      console.log(
        `${stage}: ${Object.keys(template.Resources).length} resources; largest role policy ${largest.what} ${largest.size}/${largest.limit} characters`,
      );
    });

    test.each(stages)(
      '%s: every EventBridge rule pattern names fields AWS sends, starts on its AWS event and not on near misses',
      (stage) => {
        const template = templateOf(stage);
        const cases = ruleCases(stage, template);
        const rules = Object.entries(template.Resources).filter(
          ([, r]) => r.Type === 'AWS::Events::Rule' && r.Properties.EventPattern !== undefined,
        );
        expect(rules.map(([id]) => id).sort()).toEqual(Object.keys(cases).sort());
        for (const [id, rule] of rules) {
          const pattern = evaluate(template, rule.Properties.EventPattern) as Record<string, unknown>;
          for (const source of asArray(pattern.source as string[])) {
            for (const detailType of asArray(pattern['detail-type'] as string[])) {
              expect({ id, unknown: unknownPatternFields(patternPaths(pattern), source, detailType) }).toEqual({
                id,
                unknown: [],
              });
            }
          }
          for (const event of cases[id]!.matches)
            expect({ id, event: event.detail, matches: matchesPattern(pattern, event) }).toEqual({
              id,
              event: event.detail,
              matches: true,
            });
          for (const event of cases[id]!.misses)
            expect({ id, event: event.detail, matches: matchesPattern(pattern, event) }).toEqual({
              id,
              event: event.detail,
              matches: false,
            });
        }
      },
    );
  });
}
