import {
  CreateTrafficMirrorSessionCommand,
  DeleteTrafficMirrorSessionCommand,
  DescribeInstancesCommand,
  DescribeTrafficMirrorSessionsCommand,
  DescribeTrafficMirrorTargetsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { afterEach, describe, expect, test } from '@jest/globals';
import path from 'node:path';
import { startEmulator, type Emulator } from '../../local/emulator/index.ts';
import type { OrganizationSeed } from '../../local/emulator/organization.ts';
import { memberRoleOf } from '../../local/member-role.ts';
import { loadConfigFile } from '../../src/config/load.ts';
import { root } from '../template/inspect.ts';
import { credentials, failure } from './fixture.ts';

/**
 * The local AWS as an organization: accounts and Regions told apart by the request's credentials and
 * signature, STS AssumeRole held to the member role's trust, the calls made with its credentials held
 * to its policy (the member template's, resolved), and a RAM-shared target.
 */

const CENTRAL = '111111111111';
const MEMBER = '222222222222';
const OTHER = '333333333333';
const SHARED = 'tmt-0c0000000000000a1';
const CENTRAL_ENI_TARGET = 'tmt-0c00000000000e1';
const MEMBER_FILTER = 'tmf-0b2';
const config = loadConfigFile(path.join(root, 'tests', 'organization', 'fixtures', 'organization.yml'));
const MEMBER_ROLE_ARN = `arn:aws:iam::${MEMBER}:role/autotap-member-us-east-1`;

const memberSeed = (vpc = 'vpc-0c0000000000000b2') => ({
  filters: [{ id: MEMBER_FILTER, tags: { 'autotap:filter': 'org' } }],
  instances: [
    {
      id: 'i-0b2',
      availabilityZone: 'us-east-1a',
      networkInterfaces: [{ id: 'eni-0b2', vpcId: vpc, subnetId: 'subnet-0b2' }],
    },
  ],
});

/** The member template's role, and (for the capacity test) the central ENI target as one more it may use. */
function memberRole() {
  const role = memberRoleOf(config, 'org', { accountId: MEMBER, region: 'us-east-1', filterId: MEMBER_FILTER });
  return {
    ...role,
    statements: [
      ...(role.statements ?? []),
      {
        Effect: 'Allow' as const,
        Action: ['ec2:CreateTrafficMirrorSession'],
        Resource: `arn:aws:ec2:us-east-1:${CENTRAL}:traffic-mirror-target/${CENTRAL_ENI_TARGET}`,
      },
    ],
  };
}

function organization(overrides: Partial<OrganizationSeed> = {}): OrganizationSeed {
  return {
    callerRoleArn: `arn:aws:iam::${CENTRAL}:role/autotap-org-AttachSessionRole-ABC123`,
    places: [
      { accountId: MEMBER, region: 'us-east-1', seed: memberSeed() },
      { accountId: MEMBER, region: 'eu-west-1', seed: {} },
      { accountId: OTHER, region: 'us-east-1', seed: memberSeed() },
    ],
    roles: [memberRole()],
    shares: [
      { targetId: SHARED, region: 'us-east-1', ownerAccountId: CENTRAL, accounts: [MEMBER] },
      { targetId: CENTRAL_ENI_TARGET, region: 'us-east-1', ownerAccountId: CENTRAL, accounts: [MEMBER] },
    ],
    ...overrides,
  };
}

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function start(org: OrganizationSeed = organization()): Promise<Emulator> {
  emulator = await startEmulator(
    {
      accountId: CENTRAL,
      region: 'us-east-1',
      targets: [
        { id: SHARED, type: 'network-load-balancer' },
        { id: CENTRAL_ENI_TARGET, type: 'network-interface', maxSources: 1 },
      ],
      filters: [{ id: 'tmf-0a1' }],
      instances: [{ id: 'i-0a1', availabilityZone: 'us-east-1a', networkInterfaces: [{ id: 'eni-0a1' }] }],
      sessions: [
        {
          id: 'tms-0a1',
          networkInterfaceId: 'eni-0a1',
          targetId: CENTRAL_ENI_TARGET,
          filterId: 'tmf-0a1',
          sessionNumber: 1,
        },
      ],
    },
    { organization: org },
  );
  return emulator;
}

const central = (e: Emulator, region = 'us-east-1') =>
  new EC2Client({ endpoint: e.endpoint, region, credentials, maxAttempts: 1 });
const asMember = (e: Emulator, roleArn = MEMBER_ROLE_ARN, region = 'us-east-1') =>
  new EC2Client({
    endpoint: e.endpoint,
    region,
    maxAttempts: 1,
    credentials: fromTemporaryCredentials({
      params: { RoleArn: roleArn, RoleSessionName: 'autotap-org' },
      clientConfig: { endpoint: e.endpoint, region: 'us-east-1', credentials },
    }),
  });
const managed = (eni: string, target = SHARED, sessionNumber = 1) =>
  new CreateTrafficMirrorSessionCommand({
    NetworkInterfaceId: eni,
    TrafficMirrorTargetId: target,
    TrafficMirrorFilterId: MEMBER_FILTER,
    SessionNumber: sessionNumber,
    TagSpecifications: [
      {
        ResourceType: 'traffic-mirror-session',
        Tags: [
          { Key: 'autotap:managed', Value: 'true' },
          { Key: 'autotap:instance-id', Value: 'i-0b2' },
        ],
      },
    ],
  });

describe('accounts and Regions', () => {
  test("each account and Region has its own EC2; the member's is reached with the member role's credentials", async () => {
    const e = await start();
    const instancesOf = async (client: EC2Client) =>
      ((await client.send(new DescribeInstancesCommand({}))).Reservations ?? []).flatMap((r) =>
        (r.Instances ?? []).map((i) => i.InstanceId),
      );
    expect(await instancesOf(central(e))).toEqual(['i-0a1']);
    expect(await instancesOf(central(e, 'eu-west-1'))).toEqual([]);
    expect(await instancesOf(asMember(e))).toEqual(['i-0b2']);
    expect(await instancesOf(asMember(e, MEMBER_ROLE_ARN, 'eu-west-1'))).toEqual([]);
    const sts = new STSClient({ endpoint: e.endpoint, region: 'us-east-1', credentials });
    expect((await sts.send(new GetCallerIdentityCommand({}))).Account).toBe(CENTRAL);
  });

  test('AssumeRole: a role that does not exist, or does not trust the caller, is AccessDenied alike', async () => {
    const e = await start();
    const sts = new STSClient({ endpoint: e.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
    const assume = (roleArn: string) =>
      failure(sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'autotap-org' })));
    expect((await assume(`arn:aws:iam::${OTHER}:role/autotap-member-us-east-1`)).name).toBe('AccessDenied');
    await e.close();
    // The member's role trusts autotap-org-* roles of the central account; another role of it is refused.
    emulator = undefined;
    const other = await start(organization({ callerRoleArn: `arn:aws:iam::${CENTRAL}:role/someone-else` }));
    const refused = await failure(
      new STSClient({ endpoint: other.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 }).send(
        new AssumeRoleCommand({ RoleArn: MEMBER_ROLE_ARN, RoleSessionName: 'autotap-org' }),
      ),
    );
    expect(refused.name).toBe('AccessDenied');
    expect(refused.message).toContain(`is not authorized to perform: sts:AssumeRole on resource: ${MEMBER_ROLE_ARN}`);
  });
});

describe('a RAM-shared target', () => {
  test("is visible to the member with its owner's id; the member's session on it is visible to the owner", async () => {
    const e = await start();
    const member = asMember(e);
    const targets = (await member.send(new DescribeTrafficMirrorTargetsCommand({}))).TrafficMirrorTargets ?? [];
    expect(targets.map((t) => [t.TrafficMirrorTargetId, t.OwnerId])).toEqual([
      [SHARED, CENTRAL],
      [CENTRAL_ENI_TARGET, CENTRAL],
    ]);
    const created = await member.send(managed('eni-0b2'));
    const id = created.TrafficMirrorSession!.TrafficMirrorSessionId!;
    const seenByOwner =
      (await central(e).send(new DescribeTrafficMirrorSessionsCommand({}))).TrafficMirrorSessions ?? [];
    expect(seenByOwner.map((s) => [s.TrafficMirrorSessionId, s.OwnerId])).toEqual([
      ['tms-0a1', CENTRAL],
      [id, MEMBER],
    ]);
    // An ENI target's sources count across accounts: the central session already fills it.
    expect((await failure(member.send(managed('eni-0b2', CENTRAL_ENI_TARGET, 2)))).name).toBe(
      'TrafficMirrorSourcesPerTargetLimitExceeded',
    );
  });

  test('a revoked share, a share not accepted, and an account never shared: the target is not there', async () => {
    const e = await start(
      organization({
        shares: [
          { targetId: SHARED, region: 'us-east-1', ownerAccountId: CENTRAL, accounts: [MEMBER], accepted: false },
        ],
      }),
    );
    expect((await failure(asMember(e).send(managed('eni-0b2')))).name).toBe('InvalidTrafficMirrorTargetNoFound');
    await e.close();
    emulator = undefined;
    const shared = await start();
    const member = asMember(shared);
    await member.send(managed('eni-0b2'));
    shared.organization.setShared(SHARED, MEMBER, false);
    expect(
      (await member.send(new DescribeTrafficMirrorTargetsCommand({}))).TrafficMirrorTargets?.map(
        (t) => t.TrafficMirrorTargetId,
      ),
    ).toEqual([CENTRAL_ENI_TARGET]);
  });
});

describe("the member role's policy", () => {
  test('creates only sessions tagged autotap:managed=true, and deletes only those', async () => {
    const e = await start();
    const member = asMember(e);
    const untagged = new CreateTrafficMirrorSessionCommand({
      NetworkInterfaceId: 'eni-0b2',
      TrafficMirrorTargetId: SHARED,
      TrafficMirrorFilterId: MEMBER_FILTER,
      SessionNumber: 2,
    });
    expect((await failure(member.send(untagged))).name).toBe('UnauthorizedOperation');
    // Someone else's session in the member account: the role may see it, never delete it.
    const theirs = e.organization.placeOf(MEMBER, 'us-east-1').addSession({
      id: 'tms-0theirs',
      networkInterfaceId: 'eni-0b2',
      targetId: SHARED,
      filterId: MEMBER_FILTER,
      sessionNumber: 3,
    });
    const refused = await failure(
      member.send(new DeleteTrafficMirrorSessionCommand({ TrafficMirrorSessionId: theirs.id })),
    );
    expect(refused.name).toBe('UnauthorizedOperation');
    const ours = await member.send(managed('eni-0b2'));
    await member.send(
      new DeleteTrafficMirrorSessionCommand({
        TrafficMirrorSessionId: ours.TrafficMirrorSession!.TrafficMirrorSessionId!,
      }),
    );
    expect([...e.organization.placeOf(MEMBER, 'us-east-1').sessions.keys()]).toEqual(['tms-0theirs']);
  });

  test('an ENI outside the VPCs in scope is refused', async () => {
    const e = await start(
      organization({ places: [{ accountId: MEMBER, region: 'us-east-1', seed: memberSeed('vpc-0outside') }] }),
    );
    expect((await failure(asMember(e).send(managed('eni-0b2')))).name).toBe('UnauthorizedOperation');
  });
});
