import { describe, expect, test } from '@jest/globals';
import { ConfigError } from '../../src/config/error.ts';
import { scopeCoverage } from '../../src/mirroring/coverage.ts';
import { planReconcile } from '../../src/mirroring/reconcile.ts';
import { offInstanceInterfaces } from '../../src/mirroring/resolve.ts';
import { decideScope } from '../../src/mirroring/scope.ts';
import { overrideFilterIds, sessionChoice } from '../../src/mirroring/session-choices.ts';
import { serviceSource, stillMirrored } from '../../src/mirroring/service-sources.ts';
import { sessionTags, serviceLabelOf, sourceName } from '../../src/mirroring/types.ts';
import { configWith, instance, mirroringWith, session, target } from './fixtures.ts';

/** Another service's requester-managed ENI (`sources.requesterManaged`), as EC2 describes it. */
const rds = {
  networkInterfaceId: 'eni-0d1',
  interfaceType: 'interface',
  requesterManaged: true,
  requesterId: 'amazon-rds',
  vpcId: 'vpc-0a1',
};
const on = (kind: Record<string, unknown> = {}) =>
  mirroringWith({ sources: { requesterManaged: { enabled: true, requesterIds: ['amazon-rds'], ...kind } } });

describe("another service's ENI as a source", () => {
  test("a requester-managed ENI stands for its requester; a load balancer description wins; a person's ENI is none", () => {
    expect(serviceSource(rds)).toMatchObject({
      instanceId: '',
      state: 'running',
      requester: 'amazon-rds',
      tags: {},
      networkInterfaces: [{ networkInterfaceId: 'eni-0d1', deviceIndex: 0, vpcId: 'vpc-0a1' }],
    });
    expect(serviceSource({ ...rds, description: 'ELB legacy-web' })).toMatchObject({ loadBalancer: 'legacy-web' });
    expect(serviceSource({ ...rds, description: 'ELB legacy-web' })).not.toHaveProperty('requester');
    expect(serviceSource({ ...rds, requesterManaged: false })).toBeUndefined();
    const { requesterId: _none, ...withoutRequester } = rds;
    expect(serviceSource(withoutRequester)).toBeUndefined();
  });

  test('the configuration mirrors it only with the kind on and its requester ID listed', () => {
    const source = serviceSource(rds)!;
    expect(stillMirrored(source, on())).toBe(true);
    expect(stillMirrored(source, on({ requesterIds: ['amazon-elasticache'] }))).toBe(false);
    expect(stillMirrored(source, mirroringWith())).toBe(false);
    // The load balancer kind is its own switch.
    expect(stillMirrored({ loadBalancer: 'legacy-web' }, on())).toBe(false);
  });

  test('scope: VPC and subnet choose, instance tags do not; type and target rules hold', () => {
    const source = serviceSource(rds)!;
    const [eni] = source.networkInterfaces;
    const scope = mirroringWith({ scope: { includeTags: { team: 'web' } } }).scope;
    expect(decideScope(source, eni!, scope, new Set())).toBeNull();
    expect(decideScope(source, eni!, { ...scope, vpcIds: ['vpc-0b2'] }, new Set())).toBe('out-of-scope');
    expect(decideScope(source, { ...eni!, interfaceType: 'vpc_endpoint' }, scope, new Set())).toBe('interface-type');
    expect(decideScope(source, eni!, scope, new Set(['eni-0d1']))).toBe('is-mirror-target');
  });

  test("its sessions get the kind's filter and packet length, the requester's tag and a description naming it", () => {
    const config = on({ filterId: 'tmf-0d1', packetLength: 96 });
    expect(sessionChoice({ tags: {}, requester: 'amazon-rds' }, config)).toEqual({
      trafficMirrorFilterId: 'tmf-0d1',
      packetLength: 96,
    });
    expect(sessionChoice({ tags: {}, requester: 'amazon-rds' }, on())).toEqual({
      trafficMirrorFilterId: config.filterId,
      packetLength: config.packetLength,
    });
    expect(overrideFilterIds(config)).toEqual(['tmf-0d1']);
    const tags = sessionTags({ instanceId: '', requester: 'amazon-rds' });
    expect(tags).toEqual({ 'autotap:managed': 'true', 'autotap:requester-id': 'amazon-rds' });
    expect(serviceLabelOf({ tags })).toEqual({ requester: 'amazon-rds' });
    expect(sourceName({ instanceId: '', requester: 'amazon-rds' })).toBe('requester-managed ENI of amazon-rds');
  });

  test('asked for by id on no instance: a source when listed, else out of scope at once (never waited for)', () => {
    const source = serviceSource(rds)!;
    const standings = [{ networkInterfaceId: 'eni-0d1', interfaceType: 'interface', serviceSource: source }];
    expect(offInstanceInterfaces(standings, on())).toEqual({ serviceSources: [source], skippedInterfaces: [] });
    expect(offInstanceInterfaces(standings, mirroringWith())).toEqual({
      serviceSources: [],
      skippedInterfaces: [{ networkInterfaceId: 'eni-0d1', reason: 'out-of-scope' }],
    });
  });

  test('reconcile: a session of a requester no longer listed is deleted while its ENI stands; a gone ENI needs nothing', () => {
    const ours = session({
      networkInterfaceId: 'eni-0d1',
      trafficMirrorTargetId: 'tmt-0a1',
      tags: { 'autotap:managed': 'true', 'autotap:requester-id': 'amazon-rds' },
    });
    const slice = (config: ReturnType<typeof on>, standing: boolean) => ({
      config,
      mode: 'reconcile' as const,
      instances: [],
      sessions: [ours],
      otherInterfaces: new Map(standing ? [['eni-0d1', {}]] : []),
      accountTargets: [target({ trafficMirrorTargetId: 'tmt-0a1' })],
      targetSessions: [],
    });
    expect(planReconcile(slice(on({ requesterIds: ['amazon-elasticache'] }), true))).toEqual([
      expect.objectContaining({
        action: 'delete',
        networkInterfaceId: 'eni-0d1',
        requester: 'amazon-rds',
        reason: 'requester-not-listed',
        instanceId: '',
      }),
    ]);
    expect(planReconcile(slice(on({ requesterIds: ['amazon-elasticache'] }), false))).toEqual([]);
    // Listed, and outside this slice: the service may have deleted the ENI, so nothing to say.
    expect(planReconcile(slice(on(), true))).toEqual([]);
    expect(planReconcile({ ...slice(mirroringWith(), true), mode: 'cleanup' })).toEqual([]);
  });

  test('coverage counts its ENIs as ENIs and as no instance', () => {
    const coverage = scopeCoverage([instance(), serviceSource(rds)!], on().scope, new Set());
    expect(coverage.running).toEqual({ instances: 1, enis: 2 });
    expect(coverage.requesterManagedEnis).toBe(1);
    expect(coverage.loadBalancerEnis).toBe(0);
  });

  test('the configuration names the field when enabled without requester IDs, or with one no service could have', () => {
    const parse = (requesterManaged: Record<string, unknown>) => () => configWith({ sources: { requesterManaged } });
    expect(parse({ enabled: true })).toThrow(ConfigError);
    expect(parse({ enabled: true })).toThrow(
      /mirroring\.sources\.requesterManaged\.requesterIds: expected at least one requester ID/,
    );
    expect(parse({ enabled: true, requesterIds: ['amazon rds'] })).toThrow(
      /mirroring\.sources\.requesterManaged\.requesterIds\[0\]: expected a requester ID/,
    );
    expect(parse({ enabled: true, requesterIds: ['amazon-rds'], packetLength: 9000 })).toThrow(
      /mirroring\.sources\.requesterManaged\.packetLength: /,
    );
    expect(parse({ requesterIds: ['amazon-rds', '123456789012'] })).not.toThrow();
  });
});
