import {
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeTrafficMirrorFiltersCommand,
  DescribeTrafficMirrorSessionsCommand,
  DescribeTrafficMirrorTargetsCommand,
  paginateDescribeInstances,
  paginateDescribeTrafficMirrorSessions,
} from '@aws-sdk/client-ec2';
import { afterEach, describe, expect, test } from '@jest/globals';
import { startEmulator, type Emulator } from '../../local/emulator/index.ts';
import { baseSeed, ec2Client, failure } from './fixture.ts';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

/** 12 ENIs with one session each, spread over two targets and two filters. */
async function manySessions(): Promise<Emulator> {
  const instances = Array.from({ length: 12 }, (_, i) => ({
    id: `i-${i + 1}`,
    networkInterfaces: [{ id: `eni-${i + 1}` }],
  }));
  const sessions = instances.map((instance, i) => ({
    networkInterfaceId: `eni-${i + 1}`,
    targetId: i % 2 === 0 ? 'tmt-a' : 'tmt-b',
    filterId: i < 6 ? 'tmf-1' : 'tmf-2',
    sessionNumber: (i % 3) + 1,
    description: `session ${i + 1}`,
  }));
  return startEmulator({
    targets: [
      { id: 'tmt-a', type: 'network-load-balancer' },
      { id: 'tmt-b', type: 'network-load-balancer' },
    ],
    filters: [{ id: 'tmf-1' }, { id: 'tmf-2' }],
    instances,
    sessions,
  });
}

describe('DescribeInstances', () => {
  test('returns reservations with state, placement, tags and attached ENIs', async () => {
    emulator = await startEmulator(baseSeed());
    const out = await ec2Client(emulator).send(new DescribeInstancesCommand({ InstanceIds: ['i-web1'] }));
    const instance = out.Reservations?.[0]?.Instances?.[0];
    expect(out.Reservations).toHaveLength(1);
    expect(instance).toMatchObject({
      InstanceId: 'i-web1',
      InstanceType: 'm5.large',
      State: { Code: 16, Name: 'running' },
      Placement: { AvailabilityZone: 'us-east-1a' },
      VpcId: 'vpc-1',
      SubnetId: 'subnet-1',
    });
    expect(instance?.LaunchTime).toBeInstanceOf(Date);
    expect(instance?.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'Name', Value: 'web' },
        { Key: 'env', Value: 'prod' },
      ]),
    );
    expect(
      instance?.NetworkInterfaces?.map((eni) => [
        eni.NetworkInterfaceId,
        eni.Attachment?.DeviceIndex,
        eni.InterfaceType,
        eni.SubnetId,
      ]),
    ).toEqual([
      ['eni-web1', 0, 'interface', 'subnet-1'],
      ['eni-web1b', 1, 'interface', 'subnet-1'],
    ]);
    expect(instance?.NetworkInterfaces?.[0]?.Attachment).toMatchObject({
      Status: 'attached',
      DeleteOnTermination: true,
    });
  });

  test('an unknown id fails the whole call, naming the id', async () => {
    emulator = await startEmulator(baseSeed());
    const error = await failure(
      ec2Client(emulator).send(new DescribeInstancesCommand({ InstanceIds: ['i-web1', 'i-nope'] })),
    );
    expect(error.name).toBe('InvalidInstanceID.NotFound');
    expect(error.message).toContain('i-nope');
    expect(error.$metadata?.httpStatusCode).toBe(400);
  });

  test('a malformed id is refused as malformed', async () => {
    emulator = await startEmulator(baseSeed());
    const error = await failure(ec2Client(emulator).send(new DescribeInstancesCommand({ InstanceIds: ['web1'] })));
    expect(error.name).toBe('InvalidInstanceID.Malformed');
    expect(error.message).toContain('web1');
  });

  test('filters by tag, state and type; values are ORed, filters ANDed', async () => {
    emulator = await startEmulator(baseSeed());
    emulator.stopInstance('i-web2');
    const client = ec2Client(emulator);
    const ids = async (filters: { Name: string; Values: string[] }[]) =>
      (await client.send(new DescribeInstancesCommand({ Filters: filters }))).Reservations?.flatMap((r) =>
        r.Instances?.map((i) => i.InstanceId),
      ) ?? [];
    expect(await ids([{ Name: 'tag:Name', Values: ['web'] }])).toEqual(['i-web1', 'i-web2']);
    expect(
      await ids([
        { Name: 'tag:Name', Values: ['web'] },
        { Name: 'instance-state-name', Values: ['running'] },
      ]),
    ).toEqual(['i-web1']);
    expect(await ids([{ Name: 'instance-type', Values: ['t2.micro', 'c5n.18xlarge'] }])).toEqual(['i-old', 'i-hpc']);
    expect(await ids([{ Name: 'tag:env', Values: ['staging'] }])).toEqual([]);
  });

  test('wildcards match only in the filters AWS documents them for (tags); elsewhere * is a character', async () => {
    emulator = await startEmulator(baseSeed());
    const client = ec2Client(emulator);
    const ids = async (filters: { Name: string; Values: string[] }[]) =>
      (await client.send(new DescribeInstancesCommand({ Filters: filters }))).Reservations?.flatMap((r) =>
        r.Instances?.map((i) => i.InstanceId),
      ) ?? [];
    expect(await ids([{ Name: 'tag:Name', Values: ['w*'] }])).toEqual(['i-web1', 'i-web2']);
    expect(await ids([{ Name: 'tag:Name', Values: ['we?'] }])).toEqual(['i-web1', 'i-web2']);
    expect(await ids([{ Name: 'instance-type', Values: ['t2.*', 'c5n.*'] }])).toEqual([]);
    const enis = await client.send(
      new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'network-interface-id', Values: ['eni-web*'] }] }),
    );
    expect(enis.NetworkInterfaces).toEqual([]);
  });

  test('an unknown filter name is InvalidParameterValue naming the filter', async () => {
    emulator = await startEmulator(baseSeed());
    const error = await failure(
      ec2Client(emulator).send(new DescribeInstancesCommand({ Filters: [{ Name: 'colour', Values: ['red'] }] })),
    );
    expect(error.name).toBe('InvalidParameterValue');
    expect(error.message).toContain('colour');
  });

  test('paginates by MaxResults and refuses MaxResults with instance ids', async () => {
    emulator = await manySessions();
    const client = ec2Client(emulator);
    const pages: number[] = [];
    for await (const page of paginateDescribeInstances({ client, pageSize: 5 }, {})) {
      pages.push(page.Reservations?.length ?? 0);
    }
    expect(pages).toEqual([5, 5, 2]);
    const error = await failure(client.send(new DescribeInstancesCommand({ InstanceIds: ['i-1'], MaxResults: 5 })));
    expect(error.name).toBe('InvalidParameterCombination');
  });

  test('a terminated instance stays visible, without interfaces', async () => {
    emulator = await startEmulator(baseSeed());
    emulator.terminateInstance('i-web2');
    const out = await ec2Client(emulator).send(new DescribeInstancesCommand({ InstanceIds: ['i-web2'] }));
    const instance = out.Reservations?.[0]?.Instances?.[0];
    expect(instance?.State).toEqual({ Code: 48, Name: 'terminated' });
    expect(instance?.NetworkInterfaces).toEqual([]);
  });
});

describe('DescribeNetworkInterfaces', () => {
  test('filters on attachment.instance-id and reports attachment, zone and type', async () => {
    emulator = await startEmulator(baseSeed());
    const out = await ec2Client(emulator).send(
      new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: ['i-web1'] }] }),
    );
    expect(out.NetworkInterfaces?.map((eni) => eni.NetworkInterfaceId)).toEqual(['eni-web1', 'eni-web1b']);
    expect(out.NetworkInterfaces?.[0]).toMatchObject({
      AvailabilityZone: 'us-east-1a',
      InterfaceType: 'interface',
      Status: 'in-use',
      Attachment: { InstanceId: 'i-web1', DeviceIndex: 0, Status: 'attached' },
    });
  });

  test('by id; an unknown id is InvalidNetworkInterfaceID.NotFound', async () => {
    emulator = await startEmulator(baseSeed());
    const client = ec2Client(emulator);
    const out = await client.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: ['eni-efa'] }));
    expect(out.NetworkInterfaces?.[0]?.InterfaceType).toBe('efa');
    const error = await failure(
      client.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: ['eni-gone'] })),
    );
    expect(error.name).toBe('InvalidNetworkInterfaceID.NotFound');
    expect(error.message).toContain('eni-gone');
  });

  test('a detached ENI is available and has no attachment', async () => {
    emulator = await startEmulator(baseSeed());
    emulator.detachNetworkInterface('eni-web1b');
    const out = await ec2Client(emulator).send(
      new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: ['eni-web1b'] }),
    );
    expect(out.NetworkInterfaces?.[0]?.Status).toBe('available');
    expect(out.NetworkInterfaces?.[0]?.Attachment).toBeUndefined();
  });
});

describe('DescribeTrafficMirrorSessions', () => {
  test('filters by ENI, target, filter, number and description', async () => {
    emulator = await manySessions();
    const client = ec2Client(emulator);
    const count = async (Name: string, Values: string[]) =>
      (await client.send(new DescribeTrafficMirrorSessionsCommand({ Filters: [{ Name, Values }] })))
        .TrafficMirrorSessions?.length;
    expect(await count('network-interface-id', ['eni-3', 'eni-4'])).toBe(2);
    expect(await count('traffic-mirror-target-id', ['tmt-a'])).toBe(6);
    expect(await count('traffic-mirror-filter-id', ['tmf-2'])).toBe(6);
    expect(await count('session-number', ['2'])).toBe(4);
    expect(await count('description', ['session 1'])).toBe(1);
    // No AWS page documents wildcards for this call: `*` matches only a literal `*`.
    expect(await count('description', ['session 1*'])).toBe(0);
    expect(await count('session-number', ['?'])).toBe(0);
    const tag = await failure(
      client.send(
        new DescribeTrafficMirrorSessionsCommand({ Filters: [{ Name: 'tag:autotap:managed', Values: ['true'] }] }),
      ),
    );
    expect(tag.name).toBe('InvalidParameterValue');
    const one = await client.send(
      new DescribeTrafficMirrorSessionsCommand({ Filters: [{ Name: 'network-interface-id', Values: ['eni-5'] }] }),
    );
    expect(one.TrafficMirrorSessions?.[0]).toMatchObject({
      NetworkInterfaceId: 'eni-5',
      TrafficMirrorTargetId: 'tmt-a',
      TrafficMirrorFilterId: 'tmf-1',
      SessionNumber: 2,
      OwnerId: '123456789012',
    });
  });

  test('the SDK paginator walks pages of MaxResults with NextToken', async () => {
    emulator = await manySessions();
    const client = ec2Client(emulator);
    const sizes: number[] = [];
    const ids: string[] = [];
    for await (const page of paginateDescribeTrafficMirrorSessions({ client, pageSize: 5 }, {})) {
      sizes.push(page.TrafficMirrorSessions?.length ?? 0);
      ids.push(...(page.TrafficMirrorSessions ?? []).map((s) => s.TrafficMirrorSessionId ?? ''));
    }
    expect(sizes).toEqual([5, 5, 2]);
    expect(new Set(ids).size).toBe(12);
    expect(ids.every((id) => /^tms-[0-9a-f]{17}$/.test(id))).toBe(true);
  });

  test('MaxResults outside 5-1000 and foreign tokens are refused', async () => {
    emulator = await manySessions();
    const client = ec2Client(emulator);
    const small = await failure(client.send(new DescribeTrafficMirrorSessionsCommand({ MaxResults: 4 })));
    expect(small.name).toBe('InvalidParameterValue');
    expect(small.message).toMatch(/maxResults/i);
    expect((await failure(client.send(new DescribeTrafficMirrorSessionsCommand({ MaxResults: 1001 })))).name).toBe(
      'InvalidParameterValue',
    );
    const bad = await failure(client.send(new DescribeTrafficMirrorSessionsCommand({ NextToken: 'not-a-token' })));
    expect(bad.name).toBe('InvalidPaginationToken');
  });

  test('an unknown session id is InvalidTrafficMirrorSessionNotFound', async () => {
    emulator = await manySessions();
    const error = await failure(
      ec2Client(emulator).send(
        new DescribeTrafficMirrorSessionsCommand({ TrafficMirrorSessionIds: ['tms-0123456789abcdef0'] }),
      ),
    );
    expect(error.name).toBe('InvalidTrafficMirrorSessionNotFound');
  });
});

describe('DescribeTrafficMirrorTargets and Filters', () => {
  test('targets report their type and resource', async () => {
    emulator = await startEmulator(baseSeed());
    const out = await ec2Client(emulator).send(new DescribeTrafficMirrorTargetsCommand({}));
    const byId = Object.fromEntries(
      (out.TrafficMirrorTargets ?? []).map((t) => [t.TrafficMirrorTargetId ?? '', t] as const),
    );
    expect(byId['tmt-eni']).toMatchObject({ Type: 'network-interface', NetworkInterfaceId: 'eni-appliance' });
    expect(byId['tmt-nlb']?.Type).toBe('network-load-balancer');
    expect(byId['tmt-nlb']?.NetworkLoadBalancerArn).toMatch(
      /^arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer\/net\//,
    );
    expect(byId['tmt-gwlbe']).toMatchObject({
      Type: 'gateway-load-balancer-endpoint',
      Tags: [{ Key: 'Name', Value: 'inspection' }],
    });
    expect(byId['tmt-gwlbe']?.GatewayLoadBalancerEndpointId).toMatch(/^vpce-/);
  });

  test('targets filter by their documented filters and id (no tag filter); unknown ids are NotFound', async () => {
    emulator = await startEmulator(baseSeed());
    const client = ec2Client(emulator);
    const byId = await client.send(
      new DescribeTrafficMirrorTargetsCommand({
        Filters: [{ Name: 'traffic-mirror-target-id', Values: ['tmt-gwlbe'] }],
      }),
    );
    expect(byId.TrafficMirrorTargets?.map((t) => t.TrafficMirrorTargetId)).toEqual(['tmt-gwlbe']);
    const tagged = await failure(
      client.send(new DescribeTrafficMirrorTargetsCommand({ Filters: [{ Name: 'tag:Name', Values: ['inspection'] }] })),
    );
    expect(tagged.name).toBe('InvalidParameterValue');
    const error = await failure(
      client.send(new DescribeTrafficMirrorTargetsCommand({ TrafficMirrorTargetIds: ['tmt-zzz'] })),
    );
    expect(error.name).toBe('InvalidTrafficMirrorTargetNoFound');
  });

  test('filters are listed and looked up by id', async () => {
    emulator = await startEmulator(baseSeed());
    const client = ec2Client(emulator);
    const out = await client.send(new DescribeTrafficMirrorFiltersCommand({ TrafficMirrorFilterIds: ['tmf-2'] }));
    expect(out.TrafficMirrorFilters?.map((f) => f.TrafficMirrorFilterId)).toEqual(['tmf-2']);
    const error = await failure(
      client.send(new DescribeTrafficMirrorFiltersCommand({ TrafficMirrorFilterIds: ['tmf-9'] })),
    );
    expect(error.name).toBe('InvalidTrafficMirrorFilterNotFound');
  });
});
