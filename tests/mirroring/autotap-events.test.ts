import { describe, expect, test } from '@jest/globals';
import type { AppliedAction } from '../../src/mirroring/apply.ts';
import {
  DETAIL_TYPES,
  eventsForActions,
  eventsForResults,
  workflowOfMode,
} from '../../src/mirroring/autotap-events.ts';
import type { EniResult } from '../../src/mirroring/types.ts';

const EXECUTION = 'arn:aws:states:us-east-1:123456789012:execution:autotap-dev-mirror-instances:run-1';

describe('eventsForResults (mirror-instances)', () => {
  const results: EniResult[] = [
    {
      instanceId: 'i-1',
      networkInterfaceId: 'eni-1',
      outcome: 'created',
      sessionNumber: 1,
      trafficMirrorTargetId: 'tmt-1',
      trafficMirrorSessionId: 'tms-1',
    },
    { instanceId: 'i-1', networkInterfaceId: 'eni-2', outcome: 'already-mirrored', trafficMirrorSessionId: 'tms-0' },
    { instanceId: 'i-2', networkInterfaceId: 'eni-3', outcome: 'skipped', reason: 'excluded-by-tag' },
    {
      instanceId: 'i-3',
      networkInterfaceId: 'eni-4',
      outcome: 'failed',
      reason: 'account-session-limit',
      sessionNumber: 2,
      trafficMirrorTargetId: 'tmt-1',
    },
  ];

  test('one event per created, skipped or failed ENI, with the per-ENI result and the execution', () => {
    const events = eventsForResults(results, { workflow: 'mirror-instances', executionArn: EXECUTION });
    expect(events).toEqual([
      {
        source: 'autotap',
        detailType: 'Mirror Session Created',
        detail: {
          workflow: 'mirror-instances',
          executionArn: EXECUTION,
          instanceId: 'i-1',
          networkInterfaceId: 'eni-1',
          sessionNumber: 1,
          trafficMirrorSessionId: 'tms-1',
          trafficMirrorTargetId: 'tmt-1',
        },
      },
      {
        source: 'autotap',
        detailType: 'Interface Skipped',
        detail: {
          workflow: 'mirror-instances',
          executionArn: EXECUTION,
          instanceId: 'i-2',
          networkInterfaceId: 'eni-3',
          reason: 'excluded-by-tag',
        },
      },
      {
        source: 'autotap',
        detailType: 'Mirroring Failed',
        detail: {
          workflow: 'mirror-instances',
          executionArn: EXECUTION,
          instanceId: 'i-3',
          networkInterfaceId: 'eni-4',
          reason: 'account-session-limit',
          sessionNumber: 2,
          trafficMirrorTargetId: 'tmt-1',
        },
      },
    ]);
  });

  test('already-mirrored ENIs and dry-run results publish nothing', () => {
    const quiet: EniResult[] = [
      { instanceId: 'i-1', networkInterfaceId: 'eni-2', outcome: 'already-mirrored' },
      {
        instanceId: 'i-1',
        networkInterfaceId: 'eni-1',
        outcome: 'skipped',
        reason: 'dry-run',
        sessionNumber: 1,
        trafficMirrorTargetId: 'tmt-1',
      },
    ];
    expect(eventsForResults(quiet, { workflow: 'mirror-instances' })).toEqual([]);
  });

  test('without an execution ARN the detail has no executionArn field (absent, not null)', () => {
    const [created] = eventsForResults(results.slice(0, 1), { workflow: 'mirror-instances' });
    expect(created!.detail).not.toHaveProperty('executionArn');
    expect(Object.values(created!.detail)).not.toContain(undefined);
  });
});

describe('eventsForActions (reconcile, cleanup-sessions)', () => {
  const base = { instanceId: 'i-1', networkInterfaceId: 'eni-1' };
  const applied: AppliedAction[] = [
    {
      ...base,
      action: 'create',
      outcome: 'created',
      reason: 'not-mirrored',
      sessionNumber: 1,
      trafficMirrorTargetId: 'tmt-1',
      trafficMirrorSessionId: 'tms-new',
    },
    {
      ...base,
      action: 'delete',
      outcome: 'deleted',
      reason: 'instance-terminated',
      trafficMirrorSessionId: 'tms-old',
      sessionNumber: 2,
      trafficMirrorTargetId: 'tmt-1',
    },
    {
      ...base,
      action: 'modify',
      outcome: 'modified',
      reason: 'target-deleted,filter-changed',
      trafficMirrorSessionId: 'tms-2',
      trafficMirrorTargetId: 'tmt-2',
      trafficMirrorFilterId: 'tmf-2',
    },
    { ...base, action: 'create', outcome: 'failed', reason: 'unauthorized' },
    { ...base, action: 'create', outcome: 'skipped', reason: 'session-limit' },
    { ...base, action: 'skip', outcome: 'skipped', reason: 'excluded-by-tag' },
    { ...base, action: 'create', outcome: 'already-mirrored' },
    { ...base, action: 'delete', outcome: 'planned', reason: 'duplicate' },
  ];

  test('maps changes to their detail-types: created, deleted, drift repaired, failed, and attempted creates that ended skipped', () => {
    const events = eventsForActions(applied, { workflow: 'reconcile' });
    expect(events.map((e) => [e.detailType, e.detail.reason])).toEqual([
      [DETAIL_TYPES.created, 'not-mirrored'],
      [DETAIL_TYPES.deleted, 'instance-terminated'],
      [DETAIL_TYPES.repaired, 'target-deleted,filter-changed'],
      [DETAIL_TYPES.failed, 'unauthorized'],
      [DETAIL_TYPES.skipped, 'session-limit'],
    ]);
    expect(events[2]!.detail).toEqual({
      workflow: 'reconcile',
      instanceId: 'i-1',
      networkInterfaceId: 'eni-1',
      reason: 'target-deleted,filter-changed',
      trafficMirrorSessionId: 'tms-2',
      trafficMirrorTargetId: 'tmt-2',
      trafficMirrorFilterId: 'tmf-2',
    });
    for (const e of events) expect(e.source).toBe('autotap');
  });

  test('planned actions (dry runs) and standing skips publish nothing', () => {
    expect(eventsForActions(applied.slice(5), { workflow: 'reconcile' })).toEqual([]);
  });

  test('the slice mode names the workflow', () => {
    expect(workflowOfMode('cleanup')).toBe('cleanup-sessions');
    expect(workflowOfMode('reconcile')).toBe('reconcile');
    const [deleted] = eventsForActions([applied[1]!], { workflow: workflowOfMode('cleanup') });
    expect(deleted!.detail.workflow).toBe('cleanup-sessions');
  });
});

test('the documented set of detail-types', () => {
  expect(Object.values(DETAIL_TYPES).sort()).toEqual([
    'Drift Repaired',
    'Interface Skipped',
    'Mirror Session Created',
    'Mirror Session Deleted',
    'Mirroring Failed',
  ]);
});
