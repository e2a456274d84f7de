import { afterEach, describe, expect, jest, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { planCommand } from '../../cli/plan.ts';
import { statusCommand } from '../../cli/status.ts';
import { startEmulator, type Emulator } from '../../local/emulator/index.ts';
import { parseConfig } from '../../src/config/load.ts';
import {
  CENTRAL,
  centralSeed,
  eniOf,
  instanceIn,
  MEMBERS,
  organizationConfig,
  organizationSeed,
} from '../workflow/organization-fixture.ts';

/**
 * `plan --account` and `status --account` against a member of the local organization: read through
 * the role Organizations creates in its accounts, with the member's filter and the shared target.
 */

const raw = organizationConfig();
const config = parseConfig(raw);
const [member] = MEMBERS;
const READ_ONLY = [{ Effect: 'Allow' as const, Action: 'ec2:Describe*', Resource: '*' }];

let emulator: Emulator | undefined;
let dir: string | undefined;
const saved = { ...process.env };
afterEach(async () => {
  process.env = { ...saved };
  await emulator?.close();
  emulator = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  jest.restoreAllMocks();
});

async function start(roleName = 'OrganizationAccountAccessRole') {
  const seed = organizationSeed(config, 'ResolveInterfacesRole');
  seed.callerRoleArn = `arn:aws:iam::${CENTRAL}:role/SecurityAuditor`;
  seed.roles = [
    ...(seed.roles ?? []),
    { accountId: member, name: roleName, trust: { accountId: CENTRAL, principalArnLike: '*' }, statements: READ_ONLY },
  ];
  emulator = await startEmulator(centralSeed, { organization: seed });
  Object.assign(process.env, emulator.env(), { AWS_MAX_ATTEMPTS: '1' });
  dir = mkdtempSync(path.join(os.tmpdir(), 'autotap-plan-account-'));
  const file = path.join(dir, 'org.yml');
  writeFileSync(file, stringify(raw));
  return file;
}

async function output(run: () => Promise<number>): Promise<{ code: number; text: string }> {
  let text = '';
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  });
  const code = await run();
  return { code, text };
}

describe('plan and status --account', () => {
  test("plan --account: the member's plan, with the central target shared in that Region", async () => {
    const file = await start();
    const run = await output(() =>
      planCommand(['--config', file, '--account', member, '--region', 'eu-west-1', '--json'], process.cwd()),
    );
    expect(run.code).toBe(0);
    const plan = JSON.parse(run.text) as { place: unknown; actions: Record<string, unknown>[] };
    expect(plan.place).toEqual({ accountId: member, region: 'eu-west-1' });
    expect(plan.actions).toEqual([
      expect.objectContaining({
        action: 'create',
        networkInterfaceId: eniOf(instanceIn(member, 'eu-west-1')),
        trafficMirrorTargetId: 'tmt-0a2',
      }),
    ]);
    // Read-only: nothing was created anywhere.
    expect(emulator!.organization.allPlaces().flatMap((p) => [...p.sessions.values()])).toEqual([]);
    expect(emulator!.calls().AssumeRole).toBe(1);
    // The member's filter was looked up by the member template's tag, in the member.
    expect(emulator!.calls().DescribeTrafficMirrorFilters).toBe(1);
  });

  test('status --account names the account and Region it describes', async () => {
    const file = await start();
    const run = await output(() =>
      statusCommand(['--config', file, '--account', member, '--region', 'us-east-1'], process.cwd()),
    );
    expect(run.code).toBe(0);
    expect(run.text).toMatch(
      new RegExp(`^Account ${member}, us-east-1:\\n\\nautotap dev: 0% of the in-scope ENIs mirrored \\(0 of 1;`),
    );
  });

  test('a role the caller may not assume: what to pass instead', async () => {
    const file = await start('SomeOtherRole');
    await expect(
      planCommand(['--config', file, '--account', member, '--region', 'eu-west-1'], process.cwd()),
    ).rejects.toThrow(
      /could not read account 222222222222 \(eu-west-1\) through arn:aws:iam::222222222222:role\/OrganizationAccountAccessRole: .*Pass --role-name/,
    );
  });

  test('--account without an organization, or not an account id, is a usage error', async () => {
    const file = await start();
    await expect(planCommand(['--config', file, '--account', '12345'], process.cwd())).rejects.toThrow(
      'plan: --account 12345: expected an AWS account ID of 12 digits',
    );
    writeFileSync(file, stringify({ mirroring: raw.mirroring }));
    await expect(planCommand(['--config', file, '--account', member], process.cwd())).rejects.toThrow(
      'plan: --account needs an organization: section in the configuration',
    );
  });
});
