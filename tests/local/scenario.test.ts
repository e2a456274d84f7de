import { describe, expect, test } from '@jest/globals';
import { parseScenario } from '../../local/scenario.ts';

const messageOf = (document: unknown) => {
  try {
    parseScenario(document, 'my.yml');
  } catch (error) {
    return (error as Error).message;
  }
  return 'no error';
};

describe('scenario events', () => {
  test('an event is delivered through the rules; a start by hand names any of the three state machines, or is a mirror-instances input', () => {
    const launch = { source: 'aws.ec2', 'detail-type': 'EC2 Instance State-change Notification', detail: {} };
    const scenario = parseScenario({
      events: [
        { stateMachine: 'reconcile', input: { dryRun: true } },
        { stateMachine: 'cleanup-sessions', input: {} },
        { instanceIds: ['i-1'] },
        launch,
      ],
    });
    expect(scenario.events).toEqual([
      { via: 'console', stateMachine: 'reconcile', input: { dryRun: true } },
      { via: 'console', stateMachine: 'cleanup-sessions', input: {} },
      { via: 'console', stateMachine: 'mirror-instances', input: { instanceIds: ['i-1'] } },
      { via: 'eventbridge', event: launch },
    ]);
  });

  test('a wrong event names the field and what was expected', () => {
    expect(messageOf({ events: [{ stateMachine: 'reconcile' }] })).toBe(
      'my.yml: events[0].input: expected the execution input, such as {} or { dryRun: true }',
    );
    expect(messageOf({ events: [{}, { stateMachine: 'reconcil', input: {} }] })).toContain(
      'my.yml: events[1].stateMachine: Invalid option: expected one of "mirror-instances"|"reconcile"|"cleanup-sessions"',
    );
    expect(messageOf({ events: [{ stateMachine: 'reconcile', input: {}, dryRun: true }] })).toContain('events[0]');
  });

  test('recorded sessions are what the registry holds beyond the seed; a wrong one names its field', () => {
    const recorded = { id: 'tms-0a1', networkInterfaceId: 'eni-0a1', instanceId: 'i-0a1', targetId: 'tmt-0a1' };
    expect(parseScenario({ recorded: [recorded] }).recorded).toEqual([{ ...recorded, sessionNumber: 1 }]);
    expect(parseScenario({}).recorded).toEqual([]);
    expect(messageOf({ recorded: [{ ...recorded, instanceId: 'web' }] })).toBe(
      'my.yml: recorded[0].instanceId: expected an instance id (i-...)',
    );
    expect(messageOf({ recorded: [{ ...recorded, sessionNumber: 32767 }] })).toContain('recorded[0].sessionNumber');
  });
});
