import { parseConfig } from '../../src/config/load.ts';
import type { EmulatorSeed } from '../../local/emulator/index.ts';
import { startLocalAutotap, type LocalAutotap } from '../../local/environment.ts';
import type { EniResult } from '../../src/mirroring/types.ts';

/** The fault matrix: each case asserts the end state of the emulated account, not just "no exception". */

const config = parseConfig({ mirroring: { filterId: 'tmf-0f1', targets: [{ id: 'tmt-0a1' }, { id: 'tmt-0a2' }] } });

function fleet(count: number, extra: Partial<EmulatorSeed> = {}): EmulatorSeed {
  return {
    targets: [
      { id: 'tmt-0a1', type: 'network-load-balancer' },
      { id: 'tmt-0a2', type: 'network-load-balancer' },
    ],
    filters: [{ id: 'tmf-0f1' }],
    instances: Array.from({ length: count }, (_, i) => ({
      id: `i-${(0x100 + i).toString(16)}`,
      availabilityZone: 'us-east-1a',
      networkInterfaces: [
        { id: `eni-${(0x100 + i).toString(16)}` },
        ...(i % 2 === 0 ? [{ id: `eni-${(0x900 + i).toString(16)}`, deviceIndex: 1 }] : []),
      ],
    })),
    ...extra,
  };
}

let local: LocalAutotap;
afterEach(async () => {
  await local?.close();
});

const resultsOf = (output: unknown) => (output as { results: EniResult[] }).results;
const managed = () => local.emulator.sessions().filter((s) => s.tags['autotap:managed'] === 'true');
const runAll = (ids: string[]) => Promise.all(ids.map((id) => local.run('mirror-instances', { instanceId: id })));

function expectOneSessionPerEni(expectedEnis: number) {
  const enis = managed().map((s) => s.networkInterfaceId);
  expect(new Set(enis).size).toBe(expectedEnis);
  expect(enis).toHaveLength(expectedEnis);
}

describe('mirror-instances under faults', () => {
  it('throttling at a high rate: every eligible ENI still mirrored, no duplicates', async () => {
    local = await startLocalAutotap(fleet(12), config, { faults: { throttle: { rate: 0.5, seed: 7 } } });
    const runs = await runAll(local.emulator.instances().map((i) => i.instanceId));
    expect(runs.every((r) => r.status === 'SUCCEEDED')).toBe(true);
    expect(runs.flatMap((r) => resultsOf(r.output)).every((r) => r.outcome === 'created')).toBe(true);
    expectOneSessionPerEni(18);
    expect(local.emulator.calls().CreateTrafficMirrorSession).toBeGreaterThan(18);
  });

  it('token buckets: a burst drains the mutating bucket and still ends fully mirrored', async () => {
    local = await startLocalAutotap(fleet(10), config, {
      faults: {
        throttle: { describe: { capacity: 20, refillPerSecond: 50 }, mutate: { capacity: 3, refillPerSecond: 30 } },
      },
    });
    const runs = await runAll(local.emulator.instances().map((i) => i.instanceId));
    expect(runs.every((r) => r.status === 'SUCCEEDED')).toBe(true);
    expectOneSessionPerEni(15);
  });

  it('instance not visible for its first calls: mirrored after retries', async () => {
    local = await startLocalAutotap(fleet(1), config, { faults: { invisibleForCalls: 2 } });
    const execution = await local.run('mirror-instances', { instanceId: 'i-100' });
    expect(resultsOf(execution.output).map((r) => r.outcome)).toEqual(['created', 'created']);
    expect(execution.stateTransitions).toBeGreaterThan(6);
    expectOneSessionPerEni(2);
  });

  it('an instance that never appears is reported not-found, not lost', async () => {
    local = await startLocalAutotap(fleet(1), config);
    const execution = await local.run('mirror-instances', { instanceIds: ['i-100', 'i-0ff'] });
    expect(execution.status).toBe('SUCCEEDED');
    expect(resultsOf(execution.output)).toEqual([
      { instanceId: 'i-0ff', networkInterfaceId: '', outcome: 'skipped', reason: 'not-found' },
      expect.objectContaining({ networkInterfaceId: 'eni-100', outcome: 'created' }),
      expect.objectContaining({ networkInterfaceId: 'eni-900', outcome: 'created' }),
    ]);
  });

  it('two executions racing for one ENI: one session; a number taken meanwhile is picked again', async () => {
    local = await startLocalAutotap(fleet(1), config);
    const [a, b] = await Promise.all([
      local.run('mirror-instances', { instanceId: 'i-100' }),
      local.run('mirror-instances', { networkInterfaceIds: ['eni-100'] }),
    ]);
    expect(a?.status).toBe('SUCCEEDED');
    expect(b?.status).toBe('SUCCEEDED');
    expectOneSessionPerEni(2);

    // Another writer takes number 1 on eni-101 between our describe and our create.
    local.emulator.addInstance({ id: 'i-101', availabilityZone: 'us-east-1a', networkInterfaces: [{ id: 'eni-101' }] });
    local.emulator.addFilter('tmf-0f9');
    local.emulator.addTarget({ id: 'tmt-0f9', type: 'network-load-balancer' });
    let raced = false;
    const execution = await local.run(
      'mirror-instances',
      { instanceId: 'i-101' },
      {
        onInvoke: (fn) => {
          if (fn === 'attachSession' && !raced) {
            raced = true;
            local.emulator.addSession({
              networkInterfaceId: 'eni-101',
              targetId: 'tmt-0f9',
              filterId: 'tmf-0f9',
              sessionNumber: 1,
            });
          }
        },
      },
    );
    expect(resultsOf(execution.output)).toEqual([
      expect.objectContaining({ networkInterfaceId: 'eni-101', outcome: 'created', sessionNumber: 2 }),
    ]);
    const numbers = local.emulator
      .sessions()
      .filter((s) => s.networkInterfaceId === 'eni-101')
      .map((s) => s.sessionNumber)
      .sort();
    expect(numbers).toEqual([1, 2]);
  });

  it('target full: the ENI is reported target-full to the ops topic, nothing created', async () => {
    const eniTargetConfig = parseConfig({ mirroring: { filterId: 'tmf-0f1', targets: [{ id: 'tmt-0e1' }] } });
    local = await startLocalAutotap(
      {
        ...fleet(1),
        targets: [{ id: 'tmt-0e1', type: 'network-interface', networkInterfaceId: 'eni-0e1', maxSources: 1 }],
        networkInterfaces: [{ id: 'eni-0e1' }, { id: 'eni-0e2' }],
        sessions: [{ networkInterfaceId: 'eni-0e2', targetId: 'tmt-0e1', filterId: 'tmf-0f1', sessionNumber: 1 }],
      },
      eniTargetConfig,
    );
    const execution = await local.run('mirror-instances', { instanceId: 'i-100' });
    expect(resultsOf(execution.output).map((r) => [r.outcome, r.reason])).toEqual([
      ['skipped', 'target-full'],
      ['skipped', 'target-full'],
    ]);
    expect(managed()).toEqual([]);
    expect(local.emulator.published()[0]?.message).toContain('eni-100 of i-100: skipped, target-full');
  });

  it('account session limit: reported failed to the ops topic', async () => {
    local = await startLocalAutotap(fleet(1, { accountSessionLimit: 1 }), config);
    const execution = await local.run('mirror-instances', { instanceId: 'i-100' });
    const outcomes = resultsOf(execution.output).map((r) => [r.outcome, r.reason ?? null]);
    expect(outcomes).toEqual([
      ['created', null],
      ['failed', 'account-session-limit'],
    ]);
    expect(local.emulator.published()[0]?.message).toContain('failed, account-session-limit');
  });

  it('ENI deleted mid-flight: retried, then reported not-found', async () => {
    local = await startLocalAutotap(fleet(1), config);
    const execution = await local.run(
      'mirror-instances',
      { instanceId: 'i-100' },
      {
        onInvoke: (fn) => {
          if (fn === 'attachSession') {
            try {
              local.emulator.deleteNetworkInterface('eni-900');
            } catch {
              // already deleted by an earlier invocation
            }
          }
        },
      },
    );
    expect(resultsOf(execution.output).map((r) => [r.networkInterfaceId, r.outcome, r.reason ?? null])).toEqual([
      ['eni-100', 'created', null],
      ['eni-900', 'skipped', 'not-found'],
    ]);
    expect(managed().map((s) => s.networkInterfaceId)).toEqual(['eni-100']);
  });

  it('an ENI that is itself a mirror target is skipped', async () => {
    local = await startLocalAutotap(
      {
        ...fleet(1),
        targets: [
          ...(fleet(1).targets ?? []),
          { id: 'tmt-0e1', type: 'network-interface', networkInterfaceId: 'eni-900' },
        ],
      },
      config,
    );
    const execution = await local.run('mirror-instances', { instanceId: 'i-100' });
    expect(resultsOf(execution.output).find((r) => r.networkInterfaceId === 'eni-900')).toMatchObject({
      outcome: 'skipped',
      reason: 'is-mirror-target',
    });
    expect(managed().map((s) => s.networkInterfaceId)).toEqual(['eni-100']);
  });

  it('5xx on create: retried until it works', async () => {
    local = await startLocalAutotap(fleet(1), config, {
      faults: { serverErrors: { actions: ['CreateTrafficMirrorSession'], count: 4 } },
    });
    const execution = await local.run('mirror-instances', { instanceId: 'i-100' });
    expect(resultsOf(execution.output).map((r) => r.outcome)).toEqual(['created', 'created']);
    expectOneSessionPerEni(2);
  });

  it('5xx on every create: reported failed to the ops topic, never silently lost', async () => {
    local = await startLocalAutotap(fleet(1), config, {
      faults: { serverErrors: { actions: ['CreateTrafficMirrorSession'], rate: 1 } },
    });
    const execution = await local.run('mirror-instances', { instanceId: 'i-100' });
    expect(execution.status).toBe('SUCCEEDED');
    expect(resultsOf(execution.output).map((r) => [r.outcome, r.reason])).toEqual([
      ['failed', 'ServiceUnavailable'],
      ['failed', 'ServiceUnavailable'],
    ]);
    expect(managed()).toEqual([]);
    const message = local.emulator.published()[0]?.message ?? '';
    expect(message).toContain('eni-100 of i-100: failed, ServiceUnavailable');
    expect(message).toContain('eni-900 of i-100: failed, ServiceUnavailable');
  });
});
