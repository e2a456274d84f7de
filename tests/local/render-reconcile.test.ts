import { describe, expect, test } from '@jest/globals';
import { renderWorkflowActions } from '../../local/render-reconcile.ts';
import { table } from '../../cli/table.ts';

const action = {
  action: 'delete' as const,
  outcome: 'deleted' as const,
  instanceId: '',
  networkInterfaceId: 'eni-1',
  reason: 'interface-detached',
  sessionNumber: 1,
  trafficMirrorTargetId: 'tmt-1',
  trafficMirrorSessionId: 'tms-1',
};

describe('renderWorkflowActions', () => {
  test('counts in a stable order, then one row per action; a detached ENI shows no instance', () => {
    const text = renderWorkflowActions(
      { counts: { skipped: 1, deleted: 1 }, actions: [action], truncated: 0, dryRun: false },
      table,
    );
    expect(text?.split('\n')).toEqual([
      'deleted 1, skipped 1',
      'action  outcome  instance  ENI    reason              number  target  session',
      '------  -------  --------  -----  ------------------  ------  ------  -------',
      'delete  deleted  -         eni-1  interface-detached  1       tmt-1   tms-1',
    ]);
  });

  test('a dry run says nothing changed, and truncated actions are counted, not dropped silently', () => {
    const text = renderWorkflowActions(
      { counts: { 'would-delete': 3 }, actions: [{ ...action, outcome: 'planned' }], truncated: 2, dryRun: true },
      table,
    );
    expect(text?.split('\n')[0]).toBe('dry run, nothing changed: would-delete 3');
    expect(text).toContain('... and 2 more actions');
  });

  test('a run with nothing to do is one line; any other output is not a workflow summary', () => {
    expect(renderWorkflowActions({ counts: {}, actions: [], truncated: 0, dryRun: false }, table)).toBe(
      'nothing to do',
    );
    expect(renderWorkflowActions({ results: [] }, table)).toBeNull();
    expect(renderWorkflowActions(null, table)).toBeNull();
  });
});
