import { decideScope } from '../../src/mirroring/scope.ts';
import { mirroringWith, instance } from './fixtures.ts';

const none = new Set<string>();

describe('decideScope', () => {
  const scope = mirroringWith().scope;
  const eni = { networkInterfaceId: 'eni-01', interfaceType: 'interface', deviceIndex: 0 };

  it('admits an interface ENI of a running instance under the default scope', () => {
    expect(decideScope(instance(), eni, scope, none)).toBeNull();
  });

  it('excludes by the default exclude tag and by any matching exclude tag', () => {
    expect(decideScope(instance({ tags: { 'autotap:mirror': 'false' } }), eni, scope, none)).toBe('excluded-by-tag');
    expect(decideScope(instance({ tags: { 'autotap:mirror': 'true' } }), eni, scope, none)).toBeNull();
    const wildcard = mirroringWith({ scope: { excludeTags: { scratch: '*' } } }).scope;
    expect(decideScope(instance({ tags: { scratch: '' } }), eni, wildcard, none)).toBe('excluded-by-tag');
  });

  it('requires every include tag', () => {
    const include = mirroringWith({ scope: { includeTags: { env: 'prod', team: '*' } } }).scope;
    expect(decideScope(instance({ tags: { env: 'prod', team: 'a' } }), eni, include, none)).toBeNull();
    expect(decideScope(instance({ tags: { env: 'prod' } }), eni, include, none)).toBe('out-of-scope');
  });

  it('limits to the configured VPCs and subnets, ENI placement first', () => {
    const vpcs = mirroringWith({ scope: { vpcIds: ['vpc-0a1'] } }).scope;
    expect(decideScope(instance(), eni, vpcs, none)).toBeNull();
    expect(decideScope(instance({ vpcId: 'vpc-0b2' }), eni, vpcs, none)).toBe('out-of-scope');
    const subnets = mirroringWith({ scope: { subnetIds: ['subnet-0a1'] } }).scope;
    expect(decideScope(instance(), { ...eni, subnetId: 'subnet-0c3' }, subnets, none)).toBe('out-of-scope');
  });

  it('skips instance types AWS does not support as sources, up front', () => {
    for (const instanceType of [
      't2.micro',
      'm8g.large',
      'c8g.large',
      'r8g.large',
      'x8g.large',
      'm5.metal',
      'm6i.large',
    ]) {
      expect(decideScope(instance({ instanceType }), eni, scope, none)).toBe('unsupported');
    }
    for (const instanceType of ['m5.large', 'c4.large', 'i3.xlarge', 'c6g.large', 'M5.Large']) {
      expect(decideScope(instance({ instanceType }), eni, scope, none)).toBeNull();
    }
    // Scope decides first: an excluded instance is excluded whatever its type.
    expect(
      decideScope(instance({ instanceType: 't2.micro', tags: { 'autotap:mirror': 'false' } }), eni, scope, none),
    ).toBe('excluded-by-tag');
  });

  it('refuses non-interface ENIs, mirror-target ENIs and vanished instances', () => {
    expect(decideScope(instance(), { ...eni, interfaceType: 'efa' }, scope, none)).toBe('interface-type');
    expect(decideScope(instance(), eni, scope, new Set(['eni-01']))).toBe('is-mirror-target');
    expect(decideScope(instance({ state: 'terminated' }), eni, scope, none)).toBe('not-found');
  });
});
