import { describe, expect, test } from '@jest/globals';
import { parseScenario } from '../../local/scenario.ts';
import type { EniResult } from '../../src/mirroring/types.ts';
import { runScenario } from './run.ts';

/**
 * scenarios/organization.yml: an organization's launches and an attach, checked from the report
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
    ]);
    // Every session an execution created is in the execution's account and Region, to the target shared there.
    const sessions = new Map(report.sessions.map((s) => [s.trafficMirrorSessionId, s]));
    for (const { place, created } of byEvent)
      for (const id of created) expect(`${sessions.get(id!)?.accountId} ${sessions.get(id!)?.region}`).toBe(place);
    expect(report.sessions.map((s) => [s.accountId, s.region, s.trafficMirrorTargetId])).toEqual([
      ['222222222222', 'us-east-1', 'tmt-0c0000000000001'],
      ['222222222222', 'us-east-1', 'tmt-0c0000000000001'],
      ['222222222222', 'eu-west-1', 'tmt-0c0000000000002'],
      ['333333333333', 'us-east-1', 'tmt-0c0000000000001'],
    ]);
    expect(report.sessions.every((s) => s.tags['autotap:managed'] === 'true')).toBe(true);
    // Nothing needed a human but the missing role, which fails its execution instead.
    expect(report.published).toEqual([]);
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
