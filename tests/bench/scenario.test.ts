import { expectedEnis, generateBurst } from '../../local/bench/scenario.ts';
import { parseSeed } from '../../local/emulator/index.ts';
import { loadStateMachine } from '../../local/stepfunctions/runner.ts';
import { scaledMachine } from '../../local/bench/time-model.ts';
import { parseBenchArgs } from '../../local/bench/command.ts';

describe('benchmark scenario', () => {
  it('a 1,000-instance burst: the mix, valid seed ids, 3% duplicate events with the same event id', () => {
    const burst = generateBurst();
    expect(() => parseSeed(burst.seed)).not.toThrow();
    expect(burst.instances).toHaveLength(1000);
    const kinds = expectedEnis(burst.instances);
    expect(burst.instances.filter((i) => i.kind === 'excluded')).toHaveLength(20);
    expect(burst.instances.filter((i) => i.kind === 'unsupported')).toHaveLength(20);
    expect(kinds.eligible.length + kinds.excluded.length + kinds.unsupported.length).toBe(burst.instances.reduce((n, i) => n + i.networkInterfaceIds.length, 0));
    const twoEni = burst.instances.filter((i) => i.networkInterfaceIds.length === 2).length;
    expect(twoEni).toBeGreaterThan(300);
    expect(twoEni).toBeLessThan(500);
    expect(burst.duplicates).toBe(30);
    expect(burst.events).toHaveLength(1030);
    expect(new Set(burst.events.map((e) => e.id)).size).toBe(1000);
    expect(burst.seed.instances?.filter((i) => i.instanceType?.startsWith('t2.'))).toHaveLength(20);
  });

  it('the same seed gives the same burst', () => {
    const a = generateBurst({ instances: 50 });
    const b = generateBurst({ instances: 50 });
    expect(a.instances).toEqual(b.instances);
    expect(a.events.map((e) => e.detail['instance-id'])).toEqual(b.events.map((e) => e.detail['instance-id']));
  });

  it('scaled retries: intervals and caps divided, attempts and backoff rate kept', () => {
    const machine = loadStateMachine('mirror-instances');
    const scaled = scaledMachine(machine, 4);
    const original = machine.definition.States.ResolveInterfaces as unknown as { Retry: Record<string, number>[] };
    const faster = scaled.definition.States.ResolveInterfaces as unknown as { Retry: Record<string, number>[] };
    expect(faster.Retry[0]).toMatchObject({
      IntervalSeconds: (original.Retry[0]?.IntervalSeconds ?? 1) / 4,
      MaxDelaySeconds: (original.Retry[0]?.MaxDelaySeconds ?? 0) / 4,
      MaxAttempts: original.Retry[0]?.MaxAttempts,
      BackoffRate: original.Retry[0]?.BackoffRate,
    });
    expect(original.Retry[0]?.IntervalSeconds).toBe(1);
  });

  it('options: defaults of the order AWS documents, --quick, and invalid values refused', () => {
    const defaults = parseBenchArgs([]);
    expect(defaults.mirroring).toMatchObject({
      concurrency: 100,
      describe: { capacity: 100, refillPerSecond: 20 },
      mutate: { capacity: 50, refillPerSecond: 5 },
      burst: { instances: 1000, duplicateShare: 0.03 },
    });
    expect(parseBenchArgs(['--quick']).mirroring.burst?.instances).toBe(20);
    expect(parseBenchArgs(['--quick', '--instances', '30', '--mutate-refill', '2']).mirroring).toMatchObject({ burst: { instances: 30 }, mutate: { refillPerSecond: 2 } });
    expect(() => parseBenchArgs(['--instances', '0'])).toThrow(/--instances 0/);
    expect(() => parseBenchArgs(['--scale', 'fast'])).toThrow(/--scale fast/);
  });
});
