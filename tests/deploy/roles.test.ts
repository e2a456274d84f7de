import { parseConfig } from '../../src/config/load.ts';
import { attachInterface, type AttachPorts } from '../../src/mirroring/attach.ts';
import { AUTOTAP_EVENT_SOURCE } from '../../src/mirroring/autotap-events.ts';
import type { CreateSessionRequest } from '../../src/mirroring/types.ts';
import { attachSessionStatements, roles, type PolicyStatement } from '../../deploy/roles.ts';
import { mirroringWith, session } from '../mirroring/fixtures.ts';

const VPCS = ['vpc-0a1b2c3d4e5f60718', 'vpc-0a1b2c3d4e5f60719'];
const SUBNET = 'subnet-0a1b2c3d4e5f60718';
const ec2Arn = (resource: string) => ({
  'Fn::Sub': `arn:\${AWS::Partition}:ec2:\${AWS::Region}:\${AWS::AccountId}:${resource}`,
});

const mirroring = (scope: Record<string, unknown> = {}) =>
  parseConfig({ mirroring: { filterId: 'tmf-0a1b2c3d4e5f60718', targetTag: { key: 'k', value: 'v' }, scope } })
    .mirroring;
const statement = (statements: PolicyStatement[], sid: string) => {
  const found = statements.find((s) => s.Sid === sid);
  if (!found) throw new Error(`no statement ${sid}`);
  return found;
};

describe('the ENIs a session may be created on', () => {
  test('any ENI of the account when the scope names no VPC or subnet', () => {
    const grant = statement(attachSessionStatements(mirroring()), 'MirrorNetworkInterfaces');
    expect(grant.Resource).toEqual(ec2Arn('network-interface/*'));
    expect(grant.Condition).toBeUndefined();
  });

  test("only the configured VPCs' ENIs when the scope names VPCs", () => {
    const grant = statement(attachSessionStatements(mirroring({ vpcIds: VPCS })), 'MirrorNetworkInterfaces');
    expect(grant.Condition).toEqual({ ArnEquals: { 'ec2:Vpc': VPCS.map((id) => ec2Arn(`vpc/${id}`)) } });
  });

  test('VPCs and subnets together must both match, as the scope does', () => {
    const grant = statement(
      attachSessionStatements(mirroring({ vpcIds: VPCS.slice(0, 1), subnetIds: [SUBNET] })),
      'MirrorNetworkInterfaces',
    );
    expect(grant.Condition).toEqual({
      ArnEquals: { 'ec2:Vpc': [ec2Arn(`vpc/${VPCS[0]}`)], 'ec2:Subnet': [ec2Arn(`subnet/${SUBNET}`)] },
    });
  });
});

describe('tags on create', () => {
  /** The tags attachInterface sends for an instance's ENI and a load balancer's, through creates that succeed. */
  async function tagsAttachWrites(): Promise<Record<string, string>> {
    const requests: CreateSessionRequest[] = [];
    const ports: AttachPorts = {
      async createSession(request) {
        requests.push(request);
        return session({ networkInterfaceId: request.networkInterfaceId, tags: request.tags });
      },
      async describeSessionsOfInterfaces() {
        return [];
      },
      async sleep() {},
    };
    const attachment = {
      instanceId: 'i-01',
      networkInterfaceId: 'eni-01',
      trafficMirrorTargetId: 'tmt-01',
      alternativeTargetIds: [],
      trafficMirrorFilterId: 'tmf-01',
      sessionNumber: 1,
      usedSessionNumbers: [],
      dryRun: false,
    };
    await attachInterface(attachment, mirroringWith(), ports);
    await attachInterface(
      { ...attachment, instanceId: '', networkInterfaceId: 'eni-02', loadBalancer: 'app/web/0a1' },
      mirroringWith(),
      ports,
    );
    await attachInterface(
      { ...attachment, instanceId: '', networkInterfaceId: 'eni-03', requester: 'amazon-rds' },
      mirroringWith(),
      ports,
    );
    return Object.assign({}, ...requests.map((r) => r.tags)) as Record<string, string>;
  }

  test.each(['CreateManagedSessions', 'TagSessionsOnCreate'])(
    '%s allows exactly the tag keys attachInterface writes',
    async (sid) => {
      const grant = statement(attachSessionStatements(mirroring()), sid);
      const allowed = grant.Condition?.['ForAllValues:StringEquals']?.['aws:TagKeys'];
      expect([...(allowed as string[])].sort()).toEqual(Object.keys(await tagsAttachWrites()).sort());
    },
  );

  test('a session is still created only with autotap:managed=true', () => {
    const grant = statement(attachSessionStatements(mirroring()), 'CreateManagedSessions');
    expect(grant.Condition?.StringEquals).toEqual({ 'aws:RequestTag/autotap:managed': 'true' });
  });
});

describe('the filters sessions may use', () => {
  test("each override's filter joins the section's, once, and no other filter is granted", () => {
    const config = parseConfig({
      mirroring: {
        filterId: 'tmf-0a1b2c3d4e5f60718',
        targetTag: { key: 'k', value: 'v' },
        overrides: [
          { name: 'web', tags: { tier: 'web' }, filterId: 'tmf-0000000000000d001' },
          { name: 'pci', tags: { pci: 'yes' }, filterId: 'tmf-0000000000000d001', packetLength: 96 },
          { name: 'same', tags: { x: '1' }, filterId: 'tmf-0a1b2c3d4e5f60718' },
          { name: 'short', tags: { y: '1' }, packetLength: 64 },
        ],
      },
    }).mirroring;
    const statements = attachSessionStatements(config);
    expect(statement(statements, 'MirrorWithOverrideFilters').Resource).toEqual([
      ec2Arn('traffic-mirror-filter/tmf-0000000000000d001'),
    ]);
    const filterResources = statements.flatMap((s) =>
      [s.Resource].flat().filter((r) => JSON.stringify(r).includes('traffic-mirror-filter/')),
    );
    expect(filterResources).toEqual([
      ec2Arn('traffic-mirror-filter/tmf-0a1b2c3d4e5f60718'),
      ec2Arn('traffic-mirror-filter/tmf-0000000000000d001'),
    ]);
  });

  test('no overrides with filters: no override statement', () => {
    expect(attachSessionStatements(mirroring()).some((s) => s.Sid === 'MirrorWithOverrideFilters')).toBe(false);
  });
});

describe('the other grants', () => {
  const config = parseConfig({
    mirroring: { filterId: 'tmf-0a1b2c3d4e5f60718', targetTag: { key: 'k', value: 'v' } },
    detections: {
      appliance: {
        url: 'https://appliance.example.com',
        secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:appliance',
      },
      slack: { secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:slack' },
    },
  });
  const statements = Object.values(roles(config)).flatMap(
    (resource) =>
      (resource.Properties.Policies as { PolicyDocument: { Statement: PolicyStatement[] } }[] | undefined)?.flatMap(
        (policy) => policy.PolicyDocument.Statement,
      ) ?? [],
  );

  test("events:PutEvents carries only autotap's source, wherever it is granted", () => {
    const putting = statements.filter((s) => s.Action.includes('events:PutEvents'));
    expect(putting.length).toBeGreaterThanOrEqual(3);
    for (const grant of putting)
      expect(grant.Condition).toEqual({ StringEquals: { 'events:source': AUTOTAP_EVENT_SOURCE } });
  });

  test('the SQS consumers hold what the event source mapping needs and no more', () => {
    const consuming = statements.filter((s) => s.Action.includes('sqs:ReceiveMessage'));
    expect(consuming.map((s) => s.Sid).sort()).toEqual([
      'ConsumeDetectionsQueue',
      'ConsumeSlackQueue',
      'ConsumeTagChangesQueue',
    ]);
    for (const grant of consuming)
      expect([...grant.Action].sort()).toEqual(['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage']);
  });
});

describe('with an organization', () => {
  const base = { mirroring: { filterId: 'tmf-0a1b2c3d4e5f60718', targets: [{ id: 'tmt-0a1b2c3d4e5f60718' }] } };
  const organization = { id: 'o-a1b2c3d4e5', centralAccountId: '111111111111', regions: ['us-east-1'] };
  const assuming = (config: Record<string, unknown>) =>
    Object.entries(roles(parseConfig(config)))
      .filter(([, r]) => JSON.stringify(r.Properties).includes('sts:AssumeRole"]'))
      .map(([id, r]) => [
        id,
        (
          r.Properties as { Policies: { PolicyDocument: { Statement: PolicyStatement[] } }[] }
        ).Policies[0]!.PolicyDocument.Statement.find((s) => s.Sid === 'AssumeMemberRoles')?.Resource,
      ]);

  test("the roles that act in members (mirror-instances', the reconciler's, the cleanup's) may assume the members' roles, and only they", () => {
    expect(assuming(base)).toEqual([]);
    const resource = { 'Fn::Sub': 'arn:${AWS::Partition}:iam::*:role/autotap-member-*' };
    expect(assuming({ ...base, organization })).toEqual([
      ['ReconcileRoundRole', resource],
      ['ReconcileSliceRole', resource],
      ['ResolveInterfacesRole', resource],
      ['AttachSessionRole', resource],
    ]);
  });

  test('only the places lister reads Organizations, and only with an organization', () => {
    const reading = (config: Record<string, unknown>) =>
      Object.entries(roles(parseConfig(config))).filter(([, r]) => JSON.stringify(r).includes('organizations:'));
    expect(reading(base)).toEqual([]);
    expect(reading({ ...base, organization }).map(([id]) => id)).toEqual(['ListPlacesRole']);
  });
});
