import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { isEventBridgeEvent, localRoleArn, routeEvent } from '../../local/eventbridge/router.ts';
import { parseConfig } from '../../src/config/load.ts';

const config = parseConfig({ mirroring: { filterId: 'tmf-0a1', targets: [{ id: 'tmt-0a1' }] } }, 'test');

const sample = (file: string) =>
  JSON.parse(readFileSync(new URL(`../../events/${file}`, import.meta.url), 'utf8')) as Record<string, unknown>;
const routes = (event: Record<string, unknown>) =>
  routeEvent(event, 'dev', config).map((d) => (d.queue ? [d.rule, `${d.queue} queue`] : [d.rule, d.stateMachine]));

describe('the local EventBridge routes with the packaged rule table', () => {
  test.each([
    ['ec2-instance-running.json', 'autotap-dev-instance-running', 'mirror-instances'],
    ['ec2-instance-terminated.json', 'autotap-dev-instance-stopped', 'cleanup-sessions'],
    ['cloudtrail-attach-network-interface.json', 'autotap-dev-interface-attached', 'mirror-instances'],
    ['cloudtrail-detach-network-interface.json', 'autotap-dev-interface-detached', 'cleanup-sessions'],
    ['cloudtrail-delete-traffic-mirror-session.json', 'autotap-dev-session-tampered', 'reconcile'],
    ['cloudtrail-modify-traffic-mirror-session.json', 'autotap-dev-session-tampered', 'reconcile'],
  ])('events/%s goes to %s, which starts %s with the event itself', (file, rule, stateMachine) => {
    const event = sample(file);
    expect(routes(event)).toEqual([[rule, stateMachine]]);
    expect(routeEvent(event, 'dev', config)[0]!.input).toBe(event);
  });

  test.each([
    ['tag-change-on-instance.json', 'autotap-dev-tags-changed'],
    ['cloudtrail-create-tags.json', 'autotap-dev-tag-calls'],
    ['cloudtrail-delete-tags.json', 'autotap-dev-tag-calls'],
  ])('events/%s goes to %s, whose target is the tag-changes queue (reconcile once per batch)', (file, rule) => {
    const event = sample(file);
    expect(routes(event)).toEqual([[rule, 'tag-changes queue']]);
    expect(routeEvent(event, 'dev', config)[0]).toMatchObject({ stateMachine: 'reconcile', input: event });
  });

  test("a tag change of keys outside the scope goes nowhere; the scope's own keys do", () => {
    const change = sample('tag-change-on-instance.json');
    const withKeys = (keys: string[]) => ({
      ...change,
      detail: { ...(change.detail as object), 'changed-tag-keys': keys },
    });
    expect(routes(withKeys(['owner', 'cost-center']))).toEqual([]);
    expect(routes(withKeys(['owner', 'autotap:mirror']))).toEqual([['autotap-dev-tags-changed', 'tag-changes queue']]);
    const scoped = parseConfig(
      { mirroring: { filterId: 'tmf-0a1', targets: [{ id: 'tmt-0a1' }], scope: { includeTags: { team: 'web' } } } },
      'test',
    );
    expect(routeEvent(withKeys(['team']), 'dev', scoped).map((d) => d.rule)).toEqual(['autotap-dev-tags-changed']);
  });

  test('a call that failed (CloudTrail errorCode) or an instance only pending goes nowhere', () => {
    const attach = sample('cloudtrail-attach-network-interface.json');
    const failed = { ...attach, detail: { ...(attach.detail as object), errorCode: 'Client.UnauthorizedOperation' } };
    expect(routes(failed)).toEqual([]);
    const running = sample('ec2-instance-running.json');
    expect(routes({ ...running, detail: { ...(running.detail as object), state: 'pending' } })).toEqual([]);
  });

  describe('the ECS task rule (mirroring.sources.ecsTasks)', () => {
    const withEcs = parseConfig(
      { mirroring: { filterId: 'tmf-0a1', targets: [{ id: 'tmt-0a1' }], sources: { ecsTasks: true } } },
      'test',
    );
    const task = sample('ecs-task-running.json');
    const detail = task.detail as Record<string, unknown>;
    const ecsRoutes = (event: Record<string, unknown>) => routeEvent(event, 'dev', withEcs).map((d) => d.rule);

    test('starts mirror-instances with the event itself once opted into, and is not there otherwise', () => {
      expect(routeEvent(task, 'dev', withEcs)).toEqual([
        { rule: 'autotap-dev-ecs-task-running', stateMachine: 'mirror-instances', input: task },
      ]);
      expect(routes(task)).toEqual([]);
    });

    test.each([
      ['a Fargate task', { launchType: 'FARGATE' }],
      ['a task still being provisioned', { lastStatus: 'PROVISIONING' }],
      ['a task being stopped', { desiredStatus: 'STOPPED' }],
    ])('%s goes nowhere', (_what, change) => {
      expect(ecsRoutes({ ...task, detail: { ...detail, ...change } })).toEqual([]);
    });

    test('a task without an ENI (bridge or host mode) is routed too: AWS documents no match inside a list of objects', () => {
      expect(ecsRoutes({ ...task, detail: { ...detail, attachments: [] } })).toEqual(['autotap-dev-ecs-task-running']);
    });
  });

  describe("a session call by one of autotap's own roles is not tampering", () => {
    const withIdentity = (file: string, userIdentity: Record<string, unknown>) => {
      const event = sample(file);
      return { ...event, detail: { ...(event.detail as object), userIdentity } };
    };
    const assumed = (roleArn: string) => ({
      type: 'AssumedRole',
      arn: `${roleArn.replace(':iam::', ':sts::').replace(':role/', ':assumed-role/')}/session`,
      accountId: '123456789012',
      sessionContext: { sessionIssuer: { type: 'Role', arn: roleArn, accountId: '123456789012' } },
    });

    test.each(['ReconcileRoundRole', 'ReconcileSliceRole', 'AttachSessionRole'])('%s: goes nowhere', (role) => {
      const own = assumed(localRoleArn('123456789012', 'dev', role));
      expect(routes(withIdentity('cloudtrail-delete-traffic-mirror-session.json', own))).toEqual([]);
      expect(routes(withIdentity('cloudtrail-modify-traffic-mirror-session.json', own))).toEqual([]);
    });

    test("autotap's role of another stage, another role, an IAM user or the root user: tampering", () => {
      const tampered = [['autotap-dev-session-tampered', 'reconcile']];
      for (const identity of [
        assumed(localRoleArn('123456789012', 'prod', 'ReconcileRoundRole')),
        assumed('arn:aws:iam::123456789012:role/Admin'),
        { type: 'IAMUser', arn: 'arn:aws:iam::123456789012:user/alice', accountId: '123456789012' },
        { type: 'Root', arn: 'arn:aws:iam::123456789012:root', accountId: '123456789012' },
      ])
        expect(routes(withIdentity('cloudtrail-delete-traffic-mirror-session.json', identity))).toEqual(tampered);
    });

    test('a session call that failed goes nowhere', () => {
      const event = sample('cloudtrail-delete-traffic-mirror-session.json');
      const failed = { ...event, detail: { ...(event.detail as object), errorCode: 'Client.UnauthorizedOperation' } };
      expect(routes(failed)).toEqual([]);
    });
  });

  test('a tag change of another kind of resource goes nowhere', () => {
    const tag = sample('tag-change-on-instance.json');
    expect(routes({ ...tag, detail: { ...(tag.detail as object), 'resource-type': 'volume' } })).toEqual([]);
    expect(routes({ ...tag, detail: { ...(tag.detail as object), service: 'rds' } })).toEqual([]);
  });

  test("a scheduled tick starts reconcile with the schedule rule's constant input", () => {
    const tick = { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {}, resources: [] };
    expect(routeEvent(tick, 'prod', config)).toEqual([
      { rule: 'autotap-prod-reconcile-schedule', stateMachine: 'reconcile', input: {} },
    ]);
  });

  test('an entry with source and detail-type is an event; a console input is not', () => {
    expect(isEventBridgeEvent(sample('ec2-instance-running.json'))).toBe(true);
    expect(isEventBridgeEvent({ instanceIds: ['i-0123456789abcdef0'] })).toBe(false);
    expect(isEventBridgeEvent({ source: 'aws.ec2' })).toBe(false);
  });
});
