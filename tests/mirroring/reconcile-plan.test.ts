import { describe, expect, test } from '@jest/globals';
import {
  fateByInstanceState,
  freeSessionNumber,
  offSliceRemoval,
  planReconcile,
  type ReconcileSlice,
} from '../../src/mirroring/reconcile.ts';
import type { Session } from '../../src/mirroring/types.ts';
import { instance, mirroringWith, session, target } from './fixtures.ts';

const TARGET = 'tmt-aaaaaaaaaaaaaaaa1';
const ENI = 'eni-0a1b2c3d4e5f60001';
const config = mirroringWith();
const RANGE = config.sessionNumber;

/** An autotap session that needs nothing: configured target and filter, number 1. */
const ours = (overrides: Partial<Session> = {}) =>
  session({
    trafficMirrorTargetId: TARGET,
    trafficMirrorFilterId: config.filterId,
    tags: { 'autotap:managed': 'true', 'autotap:instance-id': 'i-from-tag' },
    ...overrides,
  });

function slice(overrides: Partial<ReconcileSlice> = {}): ReconcileSlice {
  return {
    config,
    mode: 'reconcile',
    instances: [instance()],
    sessions: [],
    otherInterfaces: new Map(),
    accountTargets: [target({ trafficMirrorTargetId: TARGET })],
    targetSessions: [],
    ...overrides,
  };
}

describe('offSliceRemoval', () => {
  test.each([
    ['the ENI is gone (EC2 removed its sessions)', undefined, 'keep', undefined],
    ['detached', {}, 'keep', 'interface-detached'],
    [
      'attached to a terminated instance',
      { attachedInstanceId: 'i-1', instanceState: 'terminated' },
      'keep',
      'instance-terminated',
    ],
    [
      'attached to a shutting-down instance',
      { attachedInstanceId: 'i-1', instanceState: 'shutting-down' },
      'keep',
      'instance-terminated',
    ],
    [
      'attached to a stopped instance, onStop keep',
      { attachedInstanceId: 'i-1', instanceState: 'stopped' },
      'keep',
      undefined,
    ],
    [
      'attached to a stopping instance, onStop delete',
      { attachedInstanceId: 'i-1', instanceState: 'stopping' },
      'delete',
      'instance-stopped',
    ],
    ['attached to a running instance', { attachedInstanceId: 'i-1', instanceState: 'running' }, 'delete', undefined],
    ['attached, state unknown', { attachedInstanceId: 'i-1' }, 'delete', undefined],
  ] as const)('%s', (_, standing, onStop, expected) => {
    expect(offSliceRemoval(standing, onStop)).toBe(expected);
  });
});

describe('fateByInstanceState', () => {
  test.each([
    ['terminated', 'keep', { remove: 'instance-terminated' }],
    ['shutting-down', 'delete', { remove: 'instance-terminated' }],
    ['stopped', 'keep', 'keep'],
    ['stopped', 'delete', { remove: 'instance-stopped' }],
    ['stopping', 'delete', { remove: 'instance-stopped' }],
    ['running', 'delete', 'live'],
    ['pending', 'keep', 'live'],
  ] as const)('%s with onStop %s', (state, onStop, expected) => {
    expect(fateByInstanceState(state, onStop)).toEqual(expected);
  });
});

describe('freeSessionNumber', () => {
  test('its own number is free: nothing to change', () => {
    const mine = ours({ sessionNumber: 1 });
    expect(freeSessionNumber(mine, [mine, session({ sessionNumber: 2 })], RANGE)).toBeUndefined();
  });

  test('another session of the ENI has it: the lowest free number from the preferred one', () => {
    const mine = ours({ sessionNumber: 1 });
    expect(freeSessionNumber(mine, [mine, session({ sessionNumber: 1 }), session({ sessionNumber: 2 })], RANGE)).toBe(
      3,
    );
  });

  test('a session of another ENI with the same number does not count', () => {
    const mine = ours({ sessionNumber: 1 });
    expect(
      freeSessionNumber(mine, [mine, session({ sessionNumber: 1, networkInterfaceId: 'eni-other' })], RANGE),
    ).toBeUndefined();
  });

  test('no free number in the range: left as it is', () => {
    const mine = ours({ sessionNumber: 5 });
    expect(
      freeSessionNumber(mine, [mine, session({ sessionNumber: 5 })], { preferred: 5, min: 5, max: 5 }),
    ).toBeUndefined();
  });
});

describe('planReconcile', () => {
  test('a session on an ENI off the slice names the instance its tag names', () => {
    const orphan = ours({ networkInterfaceId: 'eni-detached' });
    expect(
      planReconcile(slice({ instances: [], sessions: [orphan], otherInterfaces: new Map([['eni-detached', {}]]) })),
    ).toEqual([
      expect.objectContaining({
        action: 'delete',
        instanceId: 'i-from-tag',
        networkInterfaceId: 'eni-detached',
        reason: 'interface-detached',
      }),
    ]);
  });

  test('two autotap sessions on one ENI: the lower number stays, the other is a duplicate', () => {
    const first = ours({ trafficMirrorSessionId: 'tms-b', sessionNumber: 1 });
    const second = ours({ trafficMirrorSessionId: 'tms-a', sessionNumber: 2 });
    expect(planReconcile(slice({ sessions: [second, first] }))).toEqual([
      expect.objectContaining({
        action: 'delete',
        trafficMirrorSessionId: 'tms-a',
        reason: 'duplicate',
        instanceId: 'i-0a1b2c3d4e5f60001',
      }),
    ]);
  });

  test('target deleted and filter changed: one modify naming both reasons', () => {
    const drifted = ours({ trafficMirrorTargetId: 'tmt-deleted', trafficMirrorFilterId: 'tmf-old' });
    expect(planReconcile(slice({ sessions: [drifted] }))).toEqual([
      expect.objectContaining({
        action: 'modify',
        trafficMirrorTargetId: TARGET,
        trafficMirrorFilterId: config.filterId,
        reason: 'target-deleted,filter-changed',
      }),
    ]);
  });

  describe('overrides, packet length and VNI', () => {
    const DNS_HTTP = 'tmf-00000000000000d01';
    const withOverride = mirroringWith({
      packetLength: 4000,
      virtualNetworkIds: { 'vpc-0a1': 101 },
      overrides: [{ name: 'dns-http-only', tags: { tier: 'web' }, filterId: DNS_HTTP, packetLength: 128 }],
    });
    const web = instance({ tags: { tier: 'web' } });

    test("a session of an override's instance moves to its filter and packet length, naming the override", () => {
      const drifted = ours({ trafficMirrorFilterId: config.filterId, packetLength: null, virtualNetworkId: 101 });
      expect(planReconcile(slice({ config: withOverride, instances: [web], sessions: [drifted] }))).toEqual([
        expect.objectContaining({
          action: 'modify',
          trafficMirrorFilterId: DNS_HTTP,
          packetLength: 128,
          override: 'dns-http-only',
          reason: 'filter-changed,packet-length-changed',
        }),
      ]);
    });

    test('a session that already has what its override asks for needs nothing', () => {
      const right = ours({ trafficMirrorFilterId: DNS_HTTP, packetLength: 128, virtualNetworkId: 101 });
      expect(planReconcile(slice({ config: withOverride, instances: [web], sessions: [right] }))).toEqual([]);
    });

    test('the tag removed: the session goes back to the section filter and packet length', () => {
      const old = ours({ trafficMirrorFilterId: DNS_HTTP, packetLength: 128, virtualNetworkId: 101 });
      const action = planReconcile(slice({ config: withOverride, sessions: [old] }))[0];
      expect(action).toMatchObject({ action: 'modify', trafficMirrorFilterId: config.filterId, packetLength: 4000 });
      expect(action?.override).toBeUndefined();
    });

    test('whole packets again is a modify to null, not a packet length left in place', () => {
      const truncated = ours({ packetLength: 96 });
      expect(planReconcile(slice({ sessions: [truncated] }))).toEqual([
        expect.objectContaining({ action: 'modify', packetLength: null, reason: 'packet-length-changed' }),
      ]);
    });

    test("a VNI that differs from the VPC's is repaired; with no VNI configured, AWS's choice stands", () => {
      const other = ours({ trafficMirrorFilterId: DNS_HTTP, packetLength: 128, virtualNetworkId: 9 });
      expect(planReconcile(slice({ config: withOverride, instances: [web], sessions: [other] }))).toEqual([
        expect.objectContaining({ action: 'modify', virtualNetworkId: 101, reason: 'vni-changed' }),
      ]);
      expect(planReconcile(slice({ sessions: [ours({ packetLength: null, virtualNetworkId: 9 })] }))).toEqual([]);
    });

    test('what EC2 did not describe (no packet length, no VNI) repairs nothing', () => {
      expect(
        planReconcile(
          slice({ config: withOverride, instances: [web], sessions: [ours({ trafficMirrorFilterId: DNS_HTTP })] }),
        ),
      ).toEqual([]);
    });
  });

  test('a target that still exists but is no longer configured is named as such', () => {
    const old = ours({ trafficMirrorTargetId: 'tmt-old' });
    const actions = planReconcile(
      slice({
        sessions: [old],
        accountTargets: [target({ trafficMirrorTargetId: TARGET }), target({ trafficMirrorTargetId: 'tmt-old' })],
      }),
    );
    expect(actions).toEqual([expect.objectContaining({ action: 'modify', reason: 'target-not-configured' })]);
  });

  test('no configured target left to move to: a skip with the reason, not a modify', () => {
    const old = ours({ trafficMirrorTargetId: 'tmt-deleted' });
    expect(planReconcile(slice({ sessions: [old], accountTargets: [] }))).toEqual([
      expect.objectContaining({ action: 'skip', reason: 'no-target' }),
    ]);
  });

  test('cleanup leaves running instances alone and creates nothing', () => {
    const drifted = ours({ trafficMirrorFilterId: 'tmf-old' });
    expect(planReconcile(slice({ mode: 'cleanup', sessions: [drifted] }))).toEqual([]);
    expect(planReconcile(slice({ mode: 'cleanup' }))).toEqual([]);
    expect(
      planReconcile(slice({ mode: 'cleanup', instances: [instance({ state: 'terminated' })], sessions: [drifted] })),
    ).toEqual([expect.objectContaining({ action: 'delete', reason: 'instance-terminated' })]);
  });

  test('reconcile creates the missing session of a running ENI, with what attaching needs', () => {
    expect(planReconcile(slice())).toEqual([
      expect.objectContaining({
        action: 'create',
        networkInterfaceId: ENI,
        reason: 'not-mirrored',
        sessionNumber: 1,
        trafficMirrorTargetId: TARGET,
        attachment: expect.objectContaining({ networkInterfaceId: ENI }),
      }),
    ]);
  });

  test('an ENI whose session is being deleted is not also listed as skipped', () => {
    // Excluded by the default scope's excludeTags: planning the missing sessions skips this ENI too.
    const actions = planReconcile(
      slice({ instances: [instance({ tags: { 'autotap:mirror': 'false' } })], sessions: [ours()] }),
    );
    expect(actions.filter((a) => a.networkInterfaceId === ENI)).toHaveLength(1);
    expect(actions[0]).toMatchObject({ action: 'delete' });
  });
});
