import { describe, expect, test } from '@jest/globals';
import { parseScenario } from '../../local/scenario.ts';
import type { EniResult } from '../../src/mirroring/types.ts';
import { runScenario } from './run.ts';

/**
 * scenarios/organization.yml: an organization's launches, an attach, a stop and a reconcile, checked from the report
 * `simulate --json` gives, which names the account and Region of every execution and session.
 */

describe('scenarios/organization.yml', () => {
  test('each session is made in the account and Region of its event, none in the central or a denied account', async () => {
    const report = JSON.parse(JSON.stringify(await runScenario('organization.yml'))) as Awaited<
      ReturnType<typeof runScenario>
    >;
    const byEvent = report.executions.map((e) => ({
      place: `${e.place?.accountId} ${e.place?.region}`,
      status: e.status,
      error: e.error?.name,
      created: ((e.output as { results?: EniResult[] } | null)?.results ?? [])
        .filter((r) => r.outcome === 'created')
        .map((r) => r.trafficMirrorSessionId),
    }));
    expect(byEvent.map(({ place, status, error }) => [place, status, error])).toEqual([
      ['222222222222 us-east-1', 'SUCCEEDED', undefined],
      ['222222222222 eu-west-1', 'SUCCEEDED', undefined],
      ['222222222222 us-east-1', 'SUCCEEDED', undefined],
      ['333333333333 us-east-1', 'SUCCEEDED', undefined],
      // The member template is not deployed in this Region: the role is missing, said at once.
      ['333333333333 eu-west-1', 'FAILED', 'MemberRoleUnavailable'],
      ['444444444444 us-east-1', 'SUCCEEDED', undefined],
      // The stop: cleanup-sessions in the member.
      ['222222222222 eu-west-1', 'SUCCEEDED', undefined],
      // The schedule's reconcile starts in the central account and covers every place in scope.
      ['111111111111 us-east-1', 'SUCCEEDED', undefined],
    ]);
    const [cleanup, reconcile] = report.executions.slice(6) as { output: unknown }[];
    expect((cleanup!.output as { counts: Record<string, number> }).counts).toEqual({ deleted: 1 });
    expect((reconcile!.output as { counts: Record<string, number> }).counts).toEqual({
      created: 1,
      'failed-slices': 1,
      places: 6,
    });
    // Every session an execution created is in the execution's account and Region, to the target shared there.
    const sessions = new Map(report.sessions.map((s) => [s.trafficMirrorSessionId, s]));
    for (const { place, created } of byEvent)
      for (const id of created) expect(`${sessions.get(id!)?.accountId} ${sessions.get(id!)?.region}`).toBe(place);
    // The stopped instance's session is gone; the reconcile mirrored the primary ENI of the instance
    // whose attach event named only its second ENI.
    expect(report.sessions.map((s) => [s.accountId, s.region, s.networkInterfaceId, s.trafficMirrorTargetId])).toEqual([
      ['222222222222', 'us-east-1', 'eni-0222000000000001', 'tmt-0c0000000000001'],
      ['222222222222', 'us-east-1', 'eni-0222000000000002', 'tmt-0c0000000000001'],
      ['222222222222', 'us-east-1', 'eni-0222000000000004', 'tmt-0c0000000000001'],
      ['222222222222', 'eu-west-1', 'eni-0222000000000003', 'tmt-0c0000000000002'],
      ['333333333333', 'us-east-1', 'eni-0333000000000001', 'tmt-0c0000000000001'],
    ]);
    expect(report.sessions.every((s) => s.tags['autotap:managed'] === 'true')).toBe(true);
    // The reconcile's one message names the member without its role, with the fix.
    const messages = report.published.filter((m) => m.subject?.includes('reconcile'));
    expect(messages).toHaveLength(1);
    expect(messages[0]?.message).toContain(
      '- 333333333333 eu-west-1: failed-slices 1; stopped by MemberRoleUnavailable',
    );
    expect(messages[0]?.message).toContain('Deploy the member template');
  });

  test('a scenario with accounts holds its resources per account and Region, and names the central account', () => {
    const base = { central: '111111111111', accounts: [{ id: '111111111111', regions: { 'us-east-1': {} } }] };
    expect(parseScenario(base).organization?.central).toBe('111111111111');
    expect(() => parseScenario({ ...base, instances: [] })).toThrow(
      "instances: with accounts, each account's Regions hold the resources",
    );
    expect(() => parseScenario({ ...base, central: '222222222222' })).toThrow(
      'central: account 222222222222 is not among accounts',
    );
    expect(() => parseScenario({ ...base, accounts: [{ id: '1111', regions: {} }] })).toThrow(
      'accounts[0].id: expected a 12-digit account id',
    );
  });
});
