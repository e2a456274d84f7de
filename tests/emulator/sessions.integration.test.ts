import {
  CreateTagsCommand,
  CreateTrafficMirrorSessionCommand,
  DeleteTagsCommand,
  DeleteTrafficMirrorSessionCommand,
  DescribeInstancesCommand,
  DescribeTrafficMirrorSessionsCommand,
  ModifyTrafficMirrorSessionCommand,
  type CreateTrafficMirrorSessionCommandInput,
} from '@aws-sdk/client-ec2';
import { afterEach, describe, expect, test } from '@jest/globals';
import { startEmulator, type Emulator } from '../../local/emulator/index.ts';
import { baseSeed, ec2Client, failure } from './fixture.ts';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const request = (
  over: Partial<CreateTrafficMirrorSessionCommandInput> = {},
): CreateTrafficMirrorSessionCommandInput => ({
  NetworkInterfaceId: 'eni-web1',
  TrafficMirrorTargetId: 'tmt-nlb',
  TrafficMirrorFilterId: 'tmf-1',
  SessionNumber: 1,
  ...over,
});

async function start(seed = baseSeed()) {
  emulator = await startEmulator(seed);
  return { emulator, client: ec2Client(emulator, { maxAttempts: 1 }) };
}

describe('CreateTrafficMirrorSession', () => {
  test('creates a tagged session that Describe returns', async () => {
    const { emulator, client } = await start();
    const out = await client.send(
      new CreateTrafficMirrorSessionCommand(
        request({
          PacketLength: 128,
          VirtualNetworkId: 4242,
          Description: 'web <mirror> & more',
          TagSpecifications: [
            {
              ResourceType: 'traffic-mirror-session',
              Tags: [
                { Key: 'autotap:managed', Value: 'true' },
                { Key: 'note', Value: '<&>"\'' },
              ],
            },
          ],
        }),
      ),
    );
    const id = out.TrafficMirrorSession?.TrafficMirrorSessionId;
    expect(id).toMatch(/^tms-[0-9a-f]{17}$/);
    expect(out.ClientToken).toBeTruthy();
    const described = await client.send(
      new DescribeTrafficMirrorSessionsCommand({ TrafficMirrorSessionIds: [id as string] }),
    );
    expect(described.TrafficMirrorSessions?.[0]).toMatchObject({
      TrafficMirrorSessionId: id,
      NetworkInterfaceId: 'eni-web1',
      TrafficMirrorTargetId: 'tmt-nlb',
      TrafficMirrorFilterId: 'tmf-1',
      SessionNumber: 1,
      PacketLength: 128,
      VirtualNetworkId: 4242,
      Description: 'web <mirror> & more',
    });
    expect(described.TrafficMirrorSessions?.[0]?.Tags).toEqual([
      { Key: 'autotap:managed', Value: 'true' },
      { Key: 'note', Value: '<&>"\'' },
    ]);
    expect(emulator.sessions()).toEqual([
      expect.objectContaining({
        trafficMirrorSessionId: id,
        sessionNumber: 1,
        packetLength: 128,
        tags: { 'autotap:managed': 'true', note: '<&>"\'' },
      }),
    ]);
  });

  test('AWS picks a virtual network id when none is given', async () => {
    const { client } = await start();
    const out = await client.send(new CreateTrafficMirrorSessionCommand(request()));
    expect(out.TrafficMirrorSession?.VirtualNetworkId).toEqual(expect.any(Number));
    expect(out.TrafficMirrorSession?.PacketLength).toBeUndefined();
  });

  test('missing and out-of-range parameters are named in the error', async () => {
    const { client } = await start();
    const missing = await failure(
      client.send(new CreateTrafficMirrorSessionCommand(request({ TrafficMirrorFilterId: undefined }))),
    );
    expect(missing.name).toBe('MissingParameter');
    expect(missing.message).toContain('TrafficMirrorFilterId');
    for (const [field, value] of [
      ['SessionNumber', 0],
      ['SessionNumber', 32767],
      ['PacketLength', 8501],
      ['PacketLength', 0],
    ] as const) {
      const error = await failure(client.send(new CreateTrafficMirrorSessionCommand(request({ [field]: value }))));
      expect([field, error.name]).toEqual([field, 'InvalidParameterValue']);
      expect(error.message).toContain(field);
    }
    const type = await failure(
      client.send(
        new CreateTrafficMirrorSessionCommand(
          request({ TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'a', Value: 'b' }] }] }),
        ),
      ),
    );
    expect(type.name).toBe('InvalidParameterValue');
    expect(type.message).toContain('instance');
  });

  test('unknown ENI, target and filter are NotFound with their own codes', async () => {
    const { client } = await start();
    const cases: [Partial<CreateTrafficMirrorSessionCommandInput>, string][] = [
      [{ NetworkInterfaceId: 'eni-gone' }, 'InvalidNetworkInterfaceID.NotFound'],
      [{ TrafficMirrorTargetId: 'tmt-gone' }, 'InvalidTrafficMirrorTargetNoFound'],
      [{ TrafficMirrorFilterId: 'tmf-gone' }, 'InvalidTrafficMirrorFilterNotFound'],
    ];
    for (const [over, code] of cases) {
      const error = await failure(client.send(new CreateTrafficMirrorSessionCommand(request(over))));
      expect(error.name).toBe(code);
      expect(error.message).toContain(Object.values(over)[0]);
    }
  });

  test('a fourth session on one ENI exceeds the per-interface limit', async () => {
    const { emulator, client } = await start();
    for (const SessionNumber of [1, 2, 3])
      await client.send(new CreateTrafficMirrorSessionCommand(request({ SessionNumber })));
    const error = await failure(client.send(new CreateTrafficMirrorSessionCommand(request({ SessionNumber: 4 }))));
    expect(error.name).toBe('TrafficMirrorSessionsPerInterfaceLimitExceeded');
    expect(emulator.sessions()).toHaveLength(3);
  });

  test('a session number already used on the ENI is refused', async () => {
    const { client } = await start();
    await client.send(new CreateTrafficMirrorSessionCommand(request({ SessionNumber: 7 })));
    const error = await failure(
      client.send(
        new CreateTrafficMirrorSessionCommand(request({ SessionNumber: 7, TrafficMirrorTargetId: 'tmt-gwlbe' })),
      ),
    );
    expect(error.name).toBe('InvalidParameterValue');
    await client.send(
      new CreateTrafficMirrorSessionCommand(request({ NetworkInterfaceId: 'eni-web2', SessionNumber: 7 })),
    );
  });

  test('a session number already used on the ENI is accepted when the scenario answers so (undocumented)', async () => {
    const { emulator, client } = await start({ ...baseSeed(), undocumented: { duplicateSessionNumbers: 'accept' } });
    await client.send(new CreateTrafficMirrorSessionCommand(request({ SessionNumber: 7 })));
    await client.send(
      new CreateTrafficMirrorSessionCommand(request({ SessionNumber: 7, TrafficMirrorTargetId: 'tmt-gwlbe' })),
    );
    expect(emulator.sessions().map((s) => s.sessionNumber)).toEqual([7, 7]);
  });

  test('an ENI target takes maxSources distinct sources; more sessions of a known source still fit', async () => {
    const instances = Array.from({ length: 4 }, (_, i) => ({ id: `i-${i}`, networkInterfaces: [{ id: `eni-${i}` }] }));
    const { client } = await start({
      targets: [{ id: 'tmt-small', type: 'network-interface', maxSources: 3 }],
      filters: [{ id: 'tmf-1' }],
      instances,
    });
    for (let i = 0; i < 3; i++) {
      await client.send(
        new CreateTrafficMirrorSessionCommand(
          request({ NetworkInterfaceId: `eni-${i}`, TrafficMirrorTargetId: 'tmt-small' }),
        ),
      );
    }
    const error = await failure(
      client.send(
        new CreateTrafficMirrorSessionCommand(
          request({ NetworkInterfaceId: 'eni-3', TrafficMirrorTargetId: 'tmt-small' }),
        ),
      ),
    );
    expect(error.name).toBe('TrafficMirrorSourcesPerTargetLimitExceeded');
    await client.send(
      new CreateTrafficMirrorSessionCommand(
        request({ NetworkInterfaceId: 'eni-0', TrafficMirrorTargetId: 'tmt-small', SessionNumber: 2 }),
      ),
    );
  });

  test('an ENI target defaults to 10 sources; an NLB target takes any number', async () => {
    const instances = Array.from({ length: 25 }, (_, i) => ({ id: `i-${i}`, networkInterfaces: [{ id: `eni-${i}` }] }));
    const { emulator, client } = await start({
      targets: [
        { id: 'tmt-eni', type: 'network-interface' },
        { id: 'tmt-nlb', type: 'network-load-balancer' },
      ],
      filters: [{ id: 'tmf-1' }],
      instances,
    });
    const results = await Promise.allSettled(
      instances.map((_, i) =>
        client.send(
          new CreateTrafficMirrorSessionCommand(
            request({ NetworkInterfaceId: `eni-${i}`, TrafficMirrorTargetId: 'tmt-eni' }),
          ),
        ),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
    for (let i = 0; i < 25; i++) {
      await client.send(
        new CreateTrafficMirrorSessionCommand(
          request({ NetworkInterfaceId: `eni-${i}`, TrafficMirrorTargetId: 'tmt-nlb', SessionNumber: 2 }),
        ),
      );
    }
    expect(emulator.sessions().filter((s) => s.trafficMirrorTargetId === 'tmt-nlb')).toHaveLength(25);
  });

  test('the account session limit is enforced', async () => {
    const { emulator, client } = await start({ ...baseSeed(), accountSessionLimit: 2 });
    await client.send(new CreateTrafficMirrorSessionCommand(request()));
    await client.send(new CreateTrafficMirrorSessionCommand(request({ NetworkInterfaceId: 'eni-web2' })));
    const error = await failure(
      client.send(new CreateTrafficMirrorSessionCommand(request({ NetworkInterfaceId: 'eni-web1b' }))),
    );
    expect(error.name).toBe('TrafficMirrorSessionLimitExceeded');
    emulator.setAccountSessionLimit(3);
    await client.send(new CreateTrafficMirrorSessionCommand(request({ NetworkInterfaceId: 'eni-web1b' })));
  });

  test('unsupported instance types, non-interface ENIs and target ENIs cannot be sources', async () => {
    const { client } = await start();
    const old = await failure(
      client.send(new CreateTrafficMirrorSessionCommand(request({ NetworkInterfaceId: 'eni-old' }))),
    );
    expect(old.name).toBe('NetworkInterfaceNotSupported');
    expect(old.message).toContain('t2.micro');
    const efa = await failure(
      client.send(new CreateTrafficMirrorSessionCommand(request({ NetworkInterfaceId: 'eni-efa' }))),
    );
    expect(efa.name).toBe('NetworkInterfaceNotSupported');
    expect(efa.message).toContain('efa');
    const target = await failure(
      client.send(new CreateTrafficMirrorSessionCommand(request({ NetworkInterfaceId: 'eni-appliance' }))),
    );
    expect(target.name).toBe('InterfaceInUseByTrafficMirrorTarget');
    expect(target.message).toContain('tmt-eni');
  });

  test('a scenario may refuse more types with globs, never fewer than AWS', async () => {
    const { client } = await start({ ...baseSeed(), unsupportedInstanceTypes: ['m5.?arge'] });
    const error = await failure(client.send(new CreateTrafficMirrorSessionCommand(request())));
    expect(error.name).toBe('NetworkInterfaceNotSupported');
    const old = await failure(
      client.send(new CreateTrafficMirrorSessionCommand(request({ NetworkInterfaceId: 'eni-old' }))),
    );
    expect(old.name).toBe('NetworkInterfaceNotSupported');
  });

  test.each([
    ['m8g.large', false],
    ['c8g.xlarge', false],
    ['r8g.2xlarge', false],
    ['x8g.large', false],
    ['m5.metal', false],
    ['c6g.metal', false],
    ['t2.micro', false],
    ['m3.medium', false],
    ['m6i.large', false],
    ['c4.large', true],
    ['i3.large', true],
    ['m5.large', true],
    ['c6g.large', true],
    ['t3.micro', true],
  ])('AWS published support for %s as a source: %s', async (instanceType, supported) => {
    const seed = baseSeed();
    const { client } = await start({
      ...seed,
      instances: [...(seed.instances ?? []), { id: 'i-probe', instanceType, networkInterfaces: [{ id: 'eni-probe' }] }],
    });
    const attempt = client.send(new CreateTrafficMirrorSessionCommand(request({ NetworkInterfaceId: 'eni-probe' })));
    if (supported) await attempt;
    else expect((await failure(attempt)).name).toBe('NetworkInterfaceNotSupported');
  });

  test('DryRun answers DryRunOperation (412) when the call would succeed and creates nothing', async () => {
    const { emulator, client } = await start();
    const ok = await failure(client.send(new CreateTrafficMirrorSessionCommand(request({ DryRun: true }))));
    expect(ok.name).toBe('DryRunOperation');
    expect(ok.$metadata?.httpStatusCode).toBe(412);
    expect(emulator.sessions()).toHaveLength(0);
    const bad = await failure(
      client.send(new CreateTrafficMirrorSessionCommand(request({ DryRun: true, NetworkInterfaceId: 'eni-old' }))),
    );
    expect(bad.name).toBe('NetworkInterfaceNotSupported');
  });
});

describe('ClientToken', () => {
  test('the same token and parameters return the original session', async () => {
    const { emulator, client } = await start();
    const first = await client.send(new CreateTrafficMirrorSessionCommand(request({ ClientToken: 'tok-1' })));
    const second = await client.send(new CreateTrafficMirrorSessionCommand(request({ ClientToken: 'tok-1' })));
    expect(second.TrafficMirrorSession?.TrafficMirrorSessionId).toBe(
      first.TrafficMirrorSession?.TrafficMirrorSessionId,
    );
    expect(second.ClientToken).toBe('tok-1');
    expect(emulator.sessions()).toHaveLength(1);
  });

  test('the same token with other parameters is IdempotentParameterMismatch', async () => {
    const { client } = await start();
    await client.send(new CreateTrafficMirrorSessionCommand(request({ ClientToken: 'tok-1' })));
    const error = await failure(
      client.send(new CreateTrafficMirrorSessionCommand(request({ ClientToken: 'tok-1', SessionNumber: 2 }))),
    );
    expect(error.name).toBe('IdempotentParameterMismatch');
  });

  test('concurrent identical creates yield one session', async () => {
    const seed = { ...baseSeed(), faults: { latencyMs: 20 } };
    const { emulator, client } = await start(seed);
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        client.send(new CreateTrafficMirrorSessionCommand(request({ ClientToken: 'same-token' }))),
      ),
    );
    expect(new Set(results.map((r) => r.TrafficMirrorSession?.TrafficMirrorSessionId)).size).toBe(1);
    expect(emulator.sessions()).toHaveLength(1);
  });

  test.each([
    ['replay', 'answers the deleted session'],
    ['create', 'creates a new session'],
  ] as const)(
    'a token used again after its session was deleted (undocumented), answer %s: %s',
    async (answer, _what) => {
      const { emulator, client } = await start({ ...baseSeed(), undocumented: { clientTokenAfterDelete: answer } });
      const first = await client.send(new CreateTrafficMirrorSessionCommand(request({ ClientToken: 'tok-1' })));
      const firstId = first.TrafficMirrorSession?.TrafficMirrorSessionId as string;
      await client.send(new DeleteTrafficMirrorSessionCommand({ TrafficMirrorSessionId: firstId }));
      const again = await client.send(new CreateTrafficMirrorSessionCommand(request({ ClientToken: 'tok-1' })));
      if (answer === 'replay') {
        expect(again.TrafficMirrorSession?.TrafficMirrorSessionId).toBe(firstId);
        expect(emulator.sessions()).toHaveLength(0);
      } else {
        expect(again.TrafficMirrorSession?.TrafficMirrorSessionId).not.toBe(firstId);
        expect(emulator.sessions().map((s) => s.trafficMirrorSessionId)).toEqual([
          again.TrafficMirrorSession?.TrafficMirrorSessionId,
        ]);
      }
    },
  );

  test('a token longer than 64 characters is refused', async () => {
    const { client } = await start();
    const error = await failure(
      client.send(new CreateTrafficMirrorSessionCommand(request({ ClientToken: 'x'.repeat(65) }))),
    );
    expect(error.name).toBe('InvalidParameterValue');
    expect(error.message).toContain('ClientToken');
  });
});

describe('eventual consistency of sessions', () => {
  const ids = async (client: ReturnType<typeof ec2Client>) =>
    ((await client.send(new DescribeTrafficMirrorSessionsCommand({}))).TrafficMirrorSessions ?? []).map(
      (s) => s.TrafficMirrorSessionId,
    );

  test('a created session is missing from the next N describes, a deleted one still shows in them', async () => {
    const { emulator, client } = await start({ ...baseSeed(), faults: { sessionLagCalls: 2 } });
    const created = await client.send(new CreateTrafficMirrorSessionCommand(request()));
    const id = created.TrafficMirrorSession?.TrafficMirrorSessionId as string;
    expect(await ids(client)).toEqual([]);
    expect(
      (await failure(client.send(new DescribeTrafficMirrorSessionsCommand({ TrafficMirrorSessionIds: [id] })))).name,
    ).toBe('InvalidTrafficMirrorSessionNotFound');
    expect(await ids(client)).toEqual([id]);
    // The quota sees the session at once: the lag is only in what describes show.
    expect(emulator.sessions()).toHaveLength(1);
    await client.send(new DeleteTrafficMirrorSessionCommand({ TrafficMirrorSessionId: id }));
    expect(await ids(client)).toEqual([id]);
    expect(await ids(client)).toEqual([id]);
    expect(await ids(client)).toEqual([]);
  });

  test('the lag in milliseconds runs on the injected clock', async () => {
    let now = 1_000_000;
    emulator = await startEmulator({ ...baseSeed(), faults: { sessionLagMs: 2_000 } }, { clock: () => now });
    const client = ec2Client(emulator, { maxAttempts: 1 });
    const created = await client.send(new CreateTrafficMirrorSessionCommand(request()));
    expect(await ids(client)).toEqual([]);
    now += 1_999;
    expect(await ids(client)).toEqual([]);
    now += 1;
    expect(await ids(client)).toEqual([created.TrafficMirrorSession?.TrafficMirrorSessionId]);
  });

  test('without a lag describes show the account as it is', async () => {
    const { client } = await start();
    const created = await client.send(new CreateTrafficMirrorSessionCommand(request()));
    expect(await ids(client)).toEqual([created.TrafficMirrorSession?.TrafficMirrorSessionId]);
  });
});

describe('Modify, Delete and tags', () => {
  test('modify changes target, filter, number, packet length and removes fields', async () => {
    const { client } = await start();
    const created = await client.send(
      new CreateTrafficMirrorSessionCommand(request({ PacketLength: 100, Description: 'x' })),
    );
    const id = created.TrafficMirrorSession?.TrafficMirrorSessionId as string;
    const out = await client.send(
      new ModifyTrafficMirrorSessionCommand({
        TrafficMirrorSessionId: id,
        TrafficMirrorTargetId: 'tmt-gwlbe',
        TrafficMirrorFilterId: 'tmf-2',
        SessionNumber: 9,
        VirtualNetworkId: 77,
        RemoveFields: ['packet-length', 'description'],
      }),
    );
    expect(out.TrafficMirrorSession).toMatchObject({
      TrafficMirrorTargetId: 'tmt-gwlbe',
      TrafficMirrorFilterId: 'tmf-2',
      SessionNumber: 9,
      VirtualNetworkId: 77,
    });
    expect(out.TrafficMirrorSession?.PacketLength).toBeUndefined();
    expect(out.TrafficMirrorSession?.Description).toBeUndefined();
  });

  test('modify refuses unknown targets, numbers in use and bad RemoveField values', async () => {
    const { client } = await start();
    await client.send(new CreateTrafficMirrorSessionCommand(request({ SessionNumber: 1 })));
    const created = await client.send(new CreateTrafficMirrorSessionCommand(request({ SessionNumber: 2 })));
    const id = created.TrafficMirrorSession?.TrafficMirrorSessionId as string;
    const target = await failure(
      client.send(
        new ModifyTrafficMirrorSessionCommand({ TrafficMirrorSessionId: id, TrafficMirrorTargetId: 'tmt-none' }),
      ),
    );
    expect(target.name).toBe('InvalidTrafficMirrorTargetNoFound');
    const number = await failure(
      client.send(new ModifyTrafficMirrorSessionCommand({ TrafficMirrorSessionId: id, SessionNumber: 1 })),
    );
    expect(number.name).toBe('InvalidParameterValue');
    const field = await failure(
      client.send(
        new ModifyTrafficMirrorSessionCommand({ TrafficMirrorSessionId: id, RemoveFields: ['colour' as never] }),
      ),
    );
    expect(field.name).toBe('InvalidParameterValue');
    const missing = await failure(
      client.send(
        new ModifyTrafficMirrorSessionCommand({ TrafficMirrorSessionId: 'tms-0123456789abcdef0', SessionNumber: 5 }),
      ),
    );
    expect(missing.name).toBe('InvalidTrafficMirrorSessionNotFound');
  });

  test('delete removes the session; deleting it again is NotFound', async () => {
    const { emulator, client } = await start();
    const created = await client.send(new CreateTrafficMirrorSessionCommand(request()));
    const id = created.TrafficMirrorSession?.TrafficMirrorSessionId as string;
    const dry = await failure(
      client.send(new DeleteTrafficMirrorSessionCommand({ TrafficMirrorSessionId: id, DryRun: true })),
    );
    expect(dry.name).toBe('DryRunOperation');
    const out = await client.send(new DeleteTrafficMirrorSessionCommand({ TrafficMirrorSessionId: id }));
    expect(out.TrafficMirrorSessionId).toBe(id);
    expect(emulator.sessions()).toEqual([]);
    const again = await failure(client.send(new DeleteTrafficMirrorSessionCommand({ TrafficMirrorSessionId: id })));
    expect(again.name).toBe('InvalidTrafficMirrorSessionNotFound');
    expect(again.message).toContain(id);
  });

  test('CreateTags and DeleteTags change session tags', async () => {
    const { emulator, client } = await start();
    const created = await client.send(new CreateTrafficMirrorSessionCommand(request()));
    const id = created.TrafficMirrorSession?.TrafficMirrorSessionId as string;
    await client.send(
      new CreateTagsCommand({
        Resources: [id],
        Tags: [
          { Key: 'a', Value: '1' },
          { Key: 'b', Value: '2' },
          { Key: 'c', Value: '3' },
        ],
      }),
    );
    await client.send(new DeleteTagsCommand({ Resources: [id], Tags: [{ Key: 'a' }, { Key: 'b', Value: 'other' }] }));
    expect(emulator.sessions()[0]?.tags).toEqual({ b: '2', c: '3' });
    const error = await failure(
      client.send(new CreateTagsCommand({ Resources: ['tms-0123456789abcdef0'], Tags: [{ Key: 'a', Value: '1' }] })),
    );
    expect(error.name).toBe('InvalidTrafficMirrorSessionNotFound');
  });
});

describe('lifecycle driven from the test', () => {
  test('terminating deletes ENIs marked deleteOnTermination with their sessions; the others survive detached', async () => {
    const { emulator, client } = await start();
    await client.send(new CreateTrafficMirrorSessionCommand(request({ NetworkInterfaceId: 'eni-web1' })));
    await client.send(new CreateTrafficMirrorSessionCommand(request({ NetworkInterfaceId: 'eni-web1b' })));
    emulator.terminateInstance('i-web1');
    expect(emulator.sessions().map((s) => s.networkInterfaceId)).toEqual(['eni-web1b']);
    expect(emulator.account.networkInterfaces.get('eni-web1b')?.attachment).toBeUndefined();
    const error = await failure(
      client.send(new CreateTrafficMirrorSessionCommand(request({ NetworkInterfaceId: 'eni-web1', SessionNumber: 2 }))),
    );
    expect(error.name).toBe('InvalidNetworkInterfaceID.NotFound');
  });

  test('deleting an ENI deletes its sessions', async () => {
    const { emulator, client } = await start();
    await client.send(new CreateTrafficMirrorSessionCommand(request({ NetworkInterfaceId: 'eni-web2' })));
    emulator.deleteNetworkInterface('eni-web2');
    expect(emulator.sessions()).toEqual([]);
  });

  test('stop and start keep the ENIs and give a new launch time', async () => {
    const { emulator, client } = await start();
    const launch = async () =>
      (await client.send(new DescribeInstancesCommand({ InstanceIds: ['i-web2'] }))).Reservations?.[0]?.Instances?.[0];
    const before = await launch();
    emulator.stopInstance('i-web2');
    expect((await launch())?.State?.Name).toBe('stopped');
    emulator.startInstance('i-web2');
    const after = await launch();
    expect(after?.State?.Name).toBe('running');
    expect(after?.LaunchTime?.getTime()).toBeGreaterThan(before?.LaunchTime?.getTime() ?? Infinity);
    expect(after?.NetworkInterfaces?.map((e) => e.NetworkInterfaceId)).toEqual(['eni-web2']);
  });

  test('an ENI attached later shows on its instance', async () => {
    const { emulator, client } = await start();
    emulator.addNetworkInterface({ id: 'eni-extra' });
    emulator.attachNetworkInterface('eni-extra', 'i-web2', 1);
    const out = await client.send(new DescribeInstancesCommand({ InstanceIds: ['i-web2'] }));
    expect(
      out.Reservations?.[0]?.Instances?.[0]?.NetworkInterfaces?.map((e) => [
        e.NetworkInterfaceId,
        e.Attachment?.DeviceIndex,
      ]),
    ).toEqual([
      ['eni-web2', 0],
      ['eni-extra', 1],
    ]);
    expect(() => emulator.attachNetworkInterface('eni-web1b', 'i-web2', 1)).toThrow(/attached/);
  });
});
