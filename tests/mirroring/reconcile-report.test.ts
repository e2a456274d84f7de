import { describe, expect, test } from '@jest/globals';
import type { AppliedAction } from '../../src/mirroring/apply.ts';
import {
  notablePlaces,
  placeReport,
  renderWorkflowReport,
  type PlaceSummary,
} from '../../src/mirroring/reconcile-report.ts';

/** The ops message of a reconcile over an organization: one line per place that matters. */

const at = (accountId: string, region = 'us-east-1') => ({ accountId, region });
const skipped = (reason: string): AppliedAction => ({
  action: 'skip',
  outcome: 'skipped',
  instanceId: 'i-0a1',
  networkInterfaceId: 'eni-0a1',
  reason,
});
const created: AppliedAction = {
  action: 'create',
  outcome: 'created',
  instanceId: 'i-0b1',
  networkInterfaceId: 'eni-0b1',
  trafficMirrorSessionId: 'tms-0b1',
  reason: 'not-mirrored',
};

describe('a reconcile over places', () => {
  test("a place's state keeps only the actions needing a human, and counts what it dropped", () => {
    const kept = placeReport(
      {
        counts: { created: 2, skipped: 2 },
        actions: [created, skipped('out-of-scope'), skipped('target-full')],
        truncated: 1,
      },
      1,
    );
    expect(kept.actions).toEqual([skipped('target-full')]);
    expect(kept.truncated).toBe(3);
  });

  test('quiet places are left out; a change, a need or an error each earns a line', () => {
    const places: PlaceSummary[] = [
      { place: at('111111111111'), counts: { skipped: 3 } },
      { place: at('222222222222'), counts: { created: 1 } },
      { place: at('333333333333'), counts: { skipped: 1 }, attention: [skipped('no-target')] },
      { place: at('444444444444'), counts: {}, error: { Error: 'MemberRoleUnavailable', Cause: 'x' } },
    ];
    expect(notablePlaces(places).map((p) => p.place.accountId)).toEqual([
      '222222222222',
      '333333333333',
      '444444444444',
    ]);
  });

  test('the message names each place, its counts, what needs a human there, and the fix an error carries', () => {
    const cause = JSON.stringify({
      errorType: 'MemberRoleUnavailable',
      errorMessage: 'could not assume ...: Deploy the member template',
    });
    const report = renderWorkflowReport('reconcile', {
      counts: { created: 1, skipped: 1, 'failed-slices': 1, places: 4 },
      actions: [created, skipped('no-target')],
      truncated: 5,
      places: [
        { place: at('222222222222'), counts: { created: 1 } },
        { place: at('333333333333', 'eu-west-1'), counts: { skipped: 1 }, attention: [skipped('no-target')] },
        {
          place: at('444444444444'),
          counts: { 'failed-slices': 1 },
          error: { Error: 'MemberRoleUnavailable', Cause: cause },
        },
      ],
    });
    expect(report?.subject).toBe('[autotap] reconcile: 2 need attention');
    const lines = report!.message.split('\n');
    expect(lines).toContain('- 222222222222 us-east-1: created 1');
    expect(lines).toContain('- 333333333333 eu-west-1: skipped 1; skipped eni-0a1 of i-0a1: no-target');
    expect(lines).toContain(
      '- 444444444444 us-east-1: failed-slices 1; stopped by MemberRoleUnavailable: could not assume ...: Deploy the member template',
    );
    // By place, the actions are on their place's lines, and dropped ones are not promised.
    expect(lines.filter((l) => l.includes('eni-0a1'))).toHaveLength(1);
    expect(report!.message).not.toContain('more, counted above');
  });

  test('without places the message lists the actions as before', () => {
    const report = renderWorkflowReport('reconcile', { counts: { created: 1 }, actions: [created], truncated: 0 });
    expect(report?.message.split('\n')).toContain('- created tms-0b1 eni-0b1 of i-0b1: not-mirrored');
  });
});
