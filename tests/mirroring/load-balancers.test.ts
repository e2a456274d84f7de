import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { normalizeInput } from '../../src/mirroring/input.ts';
import { loadBalancerOfDescription } from '../../src/mirroring/load-balancers.ts';
import { serviceSource } from '../../src/mirroring/service-sources.ts';
import { decideScope } from '../../src/mirroring/scope.ts';
import { sessionChoice } from '../../src/mirroring/session-choices.ts';
import { sessionTags } from '../../src/mirroring/types.ts';
import { mirroringWith } from './fixtures.ts';

const facts = { networkInterfaceId: 'eni-0e1', interfaceType: 'interface', requesterManaged: true };

describe('a load balancer ENI as a source', () => {
  test.each([
    ['ELB app/web/50dc6c495c0c9188', 'app/web/50dc6c495c0c9188'],
    ['ELB legacy-web', 'legacy-web'],
    ['ELB net/edge/0c1d2e3f4a5b6c7d', undefined],
    ['ELB gwy/inspect/0c1d2e3f4a5b6c7d', undefined],
    ['VPC Endpoint Interface vpce-0123456789abcdef0', undefined],
    ['ELB app/web', undefined],
    [undefined, undefined],
  ])('the description %s names %s', (description, expected) => {
    expect(loadBalancerOfDescription(description)).toBe(expected);
  });

  test('only a requester-managed ENI is one: an ENI a person described like one is not', () => {
    const description = 'ELB app/web/50dc6c495c0c9188';
    expect(serviceSource({ ...facts, description })).toMatchObject({
      instanceId: '',
      state: 'running',
      loadBalancer: 'app/web/50dc6c495c0c9188',
      networkInterfaces: [{ networkInterfaceId: 'eni-0e1' }],
    });
    expect(serviceSource({ ...facts, description, requesterManaged: false })).toBeUndefined();
  });

  test('scope: VPC and subnet choose, instance tags do not; the type and target rules still hold', () => {
    const source = serviceSource({ ...facts, description: 'ELB legacy', vpcId: 'vpc-0a1' })!;
    const [eni] = source.networkInterfaces;
    const scope = mirroringWith({ scope: { includeTags: { team: 'web' } } }).scope;
    expect(decideScope(source, eni!, scope, new Set())).toBeNull();
    expect(decideScope(source, eni!, { ...scope, vpcIds: ['vpc-0b2'] }, new Set())).toBe('out-of-scope');
    expect(decideScope(source, { ...eni!, interfaceType: 'load_balancer' }, scope, new Set())).toBe('interface-type');
    expect(decideScope(source, eni!, scope, new Set(['eni-0e1']))).toBe('is-mirror-target');
  });

  test("its sessions get the kind's filter and packet length, else the section's, and the load balancer's tag", () => {
    const source = { tags: {}, loadBalancer: 'legacy' };
    const config = mirroringWith({
      packetLength: 4000,
      overrides: [{ name: 'teams', tags: { team: '*' }, packetLength: 64 }],
    });
    expect(sessionChoice(source, config)).toEqual({ trafficMirrorFilterId: config.filterId, packetLength: 4000 });
    const own = {
      ...config,
      sources: { ...config.sources, loadBalancers: { enabled: true, filterId: 'tmf-0e1', packetLength: null } },
    };
    expect(sessionChoice(source, own)).toEqual({ trafficMirrorFilterId: 'tmf-0e1', packetLength: null });
    expect(sessionTags({ instanceId: '', loadBalancer: 'legacy' })).toEqual({
      'autotap:managed': 'true',
      'autotap:load-balancer': 'legacy',
    });
  });

  test("the CloudTrail CreateNetworkInterface of a load balancer names the ENI from the call's response", () => {
    const event = JSON.parse(
      readFileSync(new URL('../../events/cloudtrail-create-load-balancer-interface.json', import.meta.url), 'utf8'),
    ) as { detail: Record<string, unknown> };
    expect(normalizeInput(event)).toEqual({
      instanceIds: [],
      networkInterfaceIds: ['eni-0e1b000000000001'],
      dryRun: false,
      trigger: 'interface-created',
      place: { accountId: '123456789012', region: 'us-east-1' },
    });
    expect(() => normalizeInput({ ...event, detail: { ...event.detail, responseElements: null } })).toThrow(
      /^detail\.responseElements: /,
    );
  });
});
