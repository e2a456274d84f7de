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
  test('an event names any of the three state machines, or is a mirror-instances input', () => {
    const scenario = parseScenario({
      events: [
        { stateMachine: 'reconcile', input: { dryRun: true } },
        { stateMachine: 'cleanup-sessions', input: {} },
        { instanceIds: ['i-1'] },
      ],
    });
    expect(scenario.events).toEqual([
      { stateMachine: 'reconcile', input: { dryRun: true } },
      { stateMachine: 'cleanup-sessions', input: {} },
      { stateMachine: 'mirror-instances', input: { instanceIds: ['i-1'] } },
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
});
