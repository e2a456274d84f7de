import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from '@jest/globals';
import { parseSeed, readSeedFile, SeedError, startEmulator, type Emulator } from '../../local/emulator/index.ts';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const problems = (value: unknown): string => {
  try {
    parseSeed(value);
  } catch (error) {
    expect(error).toBeInstanceOf(SeedError);
    return (error as Error).message;
  }
  throw new Error('expected the seed to be refused');
};

describe('seed validation', () => {
  test('an empty seed gets AWS defaults', () => {
    const seed = parseSeed({});
    expect(seed.region).toBe('us-east-1');
    expect(seed.accountId).toBe('123456789012');
    expect(seed.accountSessionLimit).toBe(10_000);
    expect(seed.unsupportedInstanceTypes).toEqual([]);
    expect(seed.undocumented).toEqual({ clientTokenAfterDelete: 'replay', duplicateSessionNumbers: 'refuse' });
    expect(seed.faults).toMatchObject({ sessionLagCalls: 0, sessionLagMs: 0 });
  });

  test('the account session limit can be lowered, never raised above what AWS allows', () => {
    expect(parseSeed({ accountSessionLimit: 2 }).accountSessionLimit).toBe(2);
    expect(problems({ accountSessionLimit: 10_001 })).toContain('accountSessionLimit');
    expect(problems({ accountSessionLimit: 10_001 })).toContain('at most 10000');
  });

  test('bad ids and values name the field', () => {
    expect(problems({ instances: [{ id: 'web-1' }] })).toContain('instances[0].id');
    expect(problems({ targets: [{ id: 'tmt-1', type: 'appliance' }] })).toContain('targets[0].type');
    expect(problems({ instances: [{ id: 'i-1', state: 'sleeping' }] })).toContain('instances[0].state');
    expect(
      problems({
        sessions: [{ networkInterfaceId: 'eni-1', targetId: 'tmt-1', filterId: 'tmf-1', sessionNumber: 40000 }],
      }),
    ).toContain('sessions[0].sessionNumber');
    expect(problems({ faults: { throttle: { describe: { capacity: 0, refillPerSecond: 1 } } } })).toContain(
      'faults.throttle.describe.capacity',
    );
    expect(problems({ region: 'mars' })).toContain('region');
  });

  test('unknown fields are refused by name', () => {
    expect(problems({ instances: [{ id: 'i-1', colour: 'red' }] })).toMatch(/instances\[0\].*colour/);
  });

  test('references and duplicates are checked', () => {
    const message = problems({
      targets: [{ id: 'tmt-1', type: 'network-load-balancer', maxSources: 10 }],
      filters: [{ id: 'tmf-1' }],
      instances: [
        { id: 'i-1', networkInterfaces: [{ id: 'eni-1' }] },
        { id: 'i-2', networkInterfaces: [{ id: 'eni-1' }] },
      ],
      sessions: [{ networkInterfaceId: 'eni-9', targetId: 'tmt-2', filterId: 'tmf-1', sessionNumber: 1 }],
    });
    expect(message).toContain('targets[0].maxSources');
    expect(message).toContain('instances[1].networkInterfaces[0].id: duplicate id eni-1');
    expect(message).toContain('sessions[0].networkInterfaceId');
    expect(message).toContain('sessions[0].targetId');
  });

  test('startEmulator refuses an invalid seed', async () => {
    await expect(startEmulator({ filters: [{ id: 'filter-1' }] })).rejects.toThrow(/filters\[0\]\.id/);
  });

  test('a YAML scenario file seeds the emulator', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'emulator-seed-'));
    try {
      const path = join(dir, 'scenario.yml');
      await writeFile(
        path,
        [
          'region: eu-west-1',
          'targets: [{id: tmt-1, type: network-interface, maxSources: 100}]',
          'filters: [{id: tmf-1}]',
          'instances:',
          '  - {id: i-1, instanceType: c5.large, tags: {Name: db}, networkInterfaces: [{id: eni-1}]}',
          'sessions: [{networkInterfaceId: eni-1, targetId: tmt-1, filterId: tmf-1, sessionNumber: 3}]',
          'faults: {latencyMs: 1}',
        ].join('\n'),
      );
      const seed = await readSeedFile(path);
      emulator = await startEmulator(seed);
      expect(emulator.region).toBe('eu-west-1');
      expect(emulator.env().AWS_REGION).toBe('eu-west-1');
      expect(emulator.sessions()).toEqual([
        expect.objectContaining({ networkInterfaceId: 'eni-1', sessionNumber: 3, trafficMirrorTargetId: 'tmt-1' }),
      ]);
      expect(emulator.instances()[0]).toMatchObject({
        instanceId: 'i-1',
        availabilityZone: 'eu-west-1a',
        networkInterfaceIds: ['eni-1'],
      });
      await writeFile(path, 'instances: [{id: i-1, networkInterfaces: [{id: nic-1}]}]');
      await expect(readSeedFile(path)).rejects.toThrow(/scenario\.yml.*instances\[0\]\.networkInterfaces\[0\]\.id/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
