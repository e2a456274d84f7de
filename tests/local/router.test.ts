import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { isEventBridgeEvent, routeEvent } from '../../local/eventbridge/router.ts';

const sample = (file: string) =>
  JSON.parse(readFileSync(new URL(`../../events/${file}`, import.meta.url), 'utf8')) as Record<string, unknown>;
const routes = (event: Record<string, unknown>) => routeEvent(event, 'dev').map((d) => [d.rule, d.stateMachine]);

describe('the local EventBridge routes with the packaged rule table', () => {
  test.each([
    ['ec2-instance-running.json', 'autotap-dev-instance-running', 'mirror-instances'],
    ['ec2-instance-terminated.json', 'autotap-dev-instance-stopped', 'cleanup-sessions'],
    ['cloudtrail-attach-network-interface.json', 'autotap-dev-interface-attached', 'mirror-instances'],
    ['cloudtrail-detach-network-interface.json', 'autotap-dev-interface-detached', 'cleanup-sessions'],
    ['tag-change-on-instance.json', 'autotap-dev-tags-changed', 'reconcile'],
  ])('events/%s goes to %s, which starts %s with the event itself', (file, rule, stateMachine) => {
    const event = sample(file);
    expect(routes(event)).toEqual([[rule, stateMachine]]);
    expect(routeEvent(event, 'dev')[0]!.input).toBe(event);
  });

  test('a call that failed (CloudTrail errorCode) or an instance only pending goes nowhere', () => {
    const attach = sample('cloudtrail-attach-network-interface.json');
    const failed = { ...attach, detail: { ...(attach.detail as object), errorCode: 'Client.UnauthorizedOperation' } };
    expect(routes(failed)).toEqual([]);
    const running = sample('ec2-instance-running.json');
    expect(routes({ ...running, detail: { ...(running.detail as object), state: 'pending' } })).toEqual([]);
  });

  test('a tag change of another kind of resource goes nowhere', () => {
    const tag = sample('tag-change-on-instance.json');
    expect(routes({ ...tag, detail: { ...(tag.detail as object), 'resource-type': 'volume' } })).toEqual([]);
    expect(routes({ ...tag, detail: { ...(tag.detail as object), service: 'rds' } })).toEqual([]);
  });

  test("a scheduled tick starts reconcile with the schedule rule's constant input", () => {
    const tick = { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {}, resources: [] };
    expect(routeEvent(tick, 'prod')).toEqual([
      { rule: 'autotap-prod-reconcile-schedule', stateMachine: 'reconcile', input: {} },
    ]);
  });

  test('an entry with source and detail-type is an event; a console input is not', () => {
    expect(isEventBridgeEvent(sample('ec2-instance-running.json'))).toBe(true);
    expect(isEventBridgeEvent({ instanceIds: ['i-0123456789abcdef0'] })).toBe(false);
    expect(isEventBridgeEvent({ source: 'aws.ec2' })).toBe(false);
  });
});
