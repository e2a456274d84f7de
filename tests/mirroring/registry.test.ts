import { describe, expect, test } from '@jest/globals';
import {
  changesOfApplied,
  FOUND_REASON,
  RECORD_SETTLE_MS,
  recordsOfMirroring,
  registryDrift,
  type SessionRecord,
} from '../../src/mirroring/registry.ts';
import type { Session } from '../../src/mirroring/types.ts';

const now = new Date('2026-12-06T12:00:00Z');
const ctx = {
  workflow: 'reconcile' as const,
  executionArn: 'arn:aws:states:us-east-1:123456789012:execution:x:1',
  now,
};

const session = (
  id: string,
  tags: Record<string, string> = { 'autotap:managed': 'true', 'autotap:instance-id': `i-${id}` },
): Session => ({
  trafficMirrorSessionId: `tms-${id}`,
  networkInterfaceId: `eni-${id}`,
  trafficMirrorTargetId: 'tmt-0a1',
  trafficMirrorFilterId: 'tmf-0f1',
  sessionNumber: 1,
  tags,
});

const record = (id: string, recordedAt: string): SessionRecord => ({
  trafficMirrorSessionId: `tms-${id}`,
  networkInterfaceId: `eni-${id}`,
  instanceId: `i-${id}`,
  trafficMirrorTargetId: 'tmt-0a1',
  sessionNumber: 1,
  workflow: 'mirror-instances',
  reason: 'instance-running',
  recordedAt,
});

describe('recordsOfMirroring', () => {
  test('records the sessions created, with the trigger as the reason; nothing else', () => {
    const records = recordsOfMirroring(
      [
        {
          instanceId: 'i-1',
          networkInterfaceId: 'eni-1',
          outcome: 'created',
          trafficMirrorSessionId: 'tms-1',
          trafficMirrorTargetId: 'tmt-0a1',
          sessionNumber: 2,
        },
        {
          instanceId: 'i-2',
          networkInterfaceId: 'eni-2',
          outcome: 'already-mirrored',
          trafficMirrorSessionId: 'tms-2',
          trafficMirrorTargetId: 'tmt-0a1',
          sessionNumber: 1,
        },
        { instanceId: 'i-3', networkInterfaceId: 'eni-3', outcome: 'skipped', reason: 'unsupported' },
        {
          instanceId: 'i-4',
          networkInterfaceId: 'eni-4',
          outcome: 'failed',
          reason: 'Throttled',
          trafficMirrorTargetId: 'tmt-0a1',
          sessionNumber: 1,
        },
      ],
      'instance-running',
      { workflow: 'mirror-instances', now },
    );
    expect(records).toEqual([
      {
        trafficMirrorSessionId: 'tms-1',
        networkInterfaceId: 'eni-1',
        instanceId: 'i-1',
        trafficMirrorTargetId: 'tmt-0a1',
        sessionNumber: 2,
        workflow: 'mirror-instances',
        reason: 'instance-running',
        recordedAt: '2026-12-06T12:00:00.000Z',
      },
    ]);
  });
});

describe('changesOfApplied', () => {
  test('creates and modifies are recorded with their reason, deletes forgotten, the rest left alone', () => {
    const changes = changesOfApplied(
      [
        {
          action: 'create',
          outcome: 'created',
          instanceId: 'i-1',
          networkInterfaceId: 'eni-1',
          reason: 'not-mirrored',
          trafficMirrorSessionId: 'tms-1',
          trafficMirrorTargetId: 'tmt-0a1',
          sessionNumber: 1,
        },
        {
          action: 'modify',
          outcome: 'modified',
          instanceId: 'i-2',
          networkInterfaceId: 'eni-2',
          reason: 'filter-changed',
          trafficMirrorSessionId: 'tms-2',
          trafficMirrorTargetId: 'tmt-0a2',
          sessionNumber: 3,
        },
        {
          action: 'delete',
          outcome: 'deleted',
          instanceId: 'i-3',
          networkInterfaceId: 'eni-3',
          reason: 'instance-stopped',
          trafficMirrorSessionId: 'tms-3',
        },
        {
          action: 'create',
          outcome: 'planned',
          instanceId: 'i-4',
          networkInterfaceId: 'eni-4',
          reason: 'not-mirrored',
        },
        {
          action: 'delete',
          outcome: 'failed',
          instanceId: 'i-5',
          networkInterfaceId: 'eni-5',
          trafficMirrorSessionId: 'tms-5',
        },
      ],
      ctx,
    );
    expect(changes.forget).toEqual(['tms-3']);
    expect(
      changes.record.map((r) => [r.trafficMirrorSessionId, r.reason, r.trafficMirrorTargetId, r.sessionNumber]),
    ).toEqual([
      ['tms-1', 'not-mirrored', 'tmt-0a1', 1],
      ['tms-2', 'filter-changed', 'tmt-0a2', 3],
    ]);
    expect(changes.record[0]).toMatchObject({ workflow: 'reconcile', executionArn: ctx.executionArn });
  });
});

describe('registryDrift', () => {
  const old = new Date(now.getTime() - RECORD_SETTLE_MS - 1).toISOString();
  const recent = new Date(now.getTime() - RECORD_SETTLE_MS + 1000).toISOString();

  test("records autotap's sessions the registry lacks, with the instance from the session's tag", () => {
    const drift = registryDrift([record('a', old)], [session('a'), session('b'), session('c', {})], now, ctx);
    expect(drift.forget).toEqual([]);
    expect(drift.record).toEqual([
      expect.objectContaining({ trafficMirrorSessionId: 'tms-b', instanceId: 'i-b', reason: FOUND_REASON }),
    ]);
  });

  test('forgets records of sessions EC2 no longer shows, but not ones too recent for the describe to show', () => {
    const drift = registryDrift(
      [record('gone', old), record('new', recent), record('kept', old)],
      [session('kept')],
      now,
      ctx,
    );
    expect(drift).toEqual({ record: [], forget: ['tms-gone'] });
  });

  test("another tool's session is neither recorded nor does it keep a record of the same id", () => {
    const drift = registryDrift([record('x', old)], [session('x', { owner: 'other' })], now, ctx);
    expect(drift).toEqual({ record: [], forget: ['tms-x'] });
  });
});
