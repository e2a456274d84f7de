import { describe, expect, test } from '@jest/globals';
import { parseBenchArgs } from '../../local/bench/command.ts';
import { evaluateOrganizationTargets, runOrganizationBench } from '../../local/bench/organization.ts';

/** The organization run of the benchmark, small: every place reconciled, each held to its own EC2 buckets. */

describe('bench: the organization run', () => {
  test('3 accounts x 2 Regions: every eligible ENI mirrored in its own account, nothing outside the scope', async () => {
    const result = await runOrganizationBench({ accounts: 3, instances: 600 });
    expect(result.status).toBe('SUCCEEDED');
    // 3 members and the central account, in 2 Regions; the denied account is not among them.
    expect(result.places).toBe(8);
    expect(result.eligible).toBe(540);
    expect(result.mirrored).toBe(540);
    expect(result.duplicates).toBe(0);
    expect(result.outsideScope).toBe(0);
    // One member role per member place, assumed once by the warm round Lambda.
    expect(result.assumeRoleCalls).toBe(6);
    const failed = evaluateOrganizationTargets(result)
      .filter((t) => !t.pass && !t.name.includes('wall time'))
      .map((t) => t.name);
    expect(failed).toEqual([]);
  }, 120_000);

  test('options: --only organization runs it alone; --skip-organization leaves it out', () => {
    expect(parseBenchArgs(['--only', 'organization'])).toMatchObject({
      runMirroring: false,
      fleet: null,
      detections: null,
      organization: { accounts: 50, instances: 20_000 },
    });
    expect(parseBenchArgs(['--quick']).organization).toEqual({ accounts: 5, instances: 1000 });
    expect(parseBenchArgs(['--skip-organization']).organization).toBeNull();
    expect(() => parseBenchArgs(['--org-accounts', '0'])).toThrow(/--org-accounts 0/);
  });
});
