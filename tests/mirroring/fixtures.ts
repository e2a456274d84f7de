import { parseConfig } from '../../src/config/load.ts';
import { mirroringOf } from '../../src/config/created.ts';
import type { Config, MirroringConfig } from '../../src/config/schema.ts';
import { serviceSource, type InterfaceFacts } from '../../src/mirroring/service-sources.ts';
import type { Instance, Session, Target } from '../../src/mirroring/types.ts';

/** A valid configuration with the given mirroring overrides. */
export function configWith(mirroring: Record<string, unknown> = {}): Config {
  return parseConfig({
    mirroring: {
      filterId: 'tmf-0123456789abcdef0',
      targets: [{ id: 'tmt-aaaaaaaaaaaaaaaa1', availabilityZone: 'us-east-1a' }],
      ...mirroring,
    },
  });
}

/** The mirroring section the functions work with, from a valid configuration with the given overrides. */
export function mirroringWith(mirroring: Record<string, unknown> = {}): MirroringConfig {
  return mirroringOf(configWith(mirroring));
}

export function instance(overrides: Partial<Instance> = {}): Instance {
  return {
    instanceId: 'i-0a1b2c3d4e5f60001',
    instanceType: 'm5.large',
    state: 'running',
    availabilityZone: 'us-east-1a',
    vpcId: 'vpc-0a1',
    subnetId: 'subnet-0a1',
    launchTime: '2026-11-11T21:29:50.000Z',
    tags: { Name: 'web' },
    networkInterfaces: [{ networkInterfaceId: 'eni-0a1b2c3d4e5f60001', interfaceType: 'interface', deviceIndex: 0 }],
    ...overrides,
  };
}

export function target(overrides: Partial<Target> = {}): Target {
  return { trafficMirrorTargetId: 'tmt-aaaaaaaaaaaaaaaa1', kind: 'network-load-balancer', tags: {}, ...overrides };
}

let sequence = 0;
export function session(overrides: Partial<Session> = {}): Session {
  sequence += 1;
  return {
    trafficMirrorSessionId: `tms-${sequence.toString(16).padStart(17, '0')}`,
    networkInterfaceId: 'eni-0a1b2c3d4e5f60001',
    trafficMirrorTargetId: 'tmt-fffffffffffffff99',
    trafficMirrorFilterId: 'tmf-fffffffffffffff99',
    sessionNumber: 1,
    tags: {},
    ...overrides,
  };
}

/** A load balancer's ENI as a source: an ALB's, of type `interface`, unless told otherwise. */
export function loadBalancerInterface(overrides: Partial<InterfaceFacts> = {}): Instance {
  const source = serviceSource({
    networkInterfaceId: 'eni-0e1',
    interfaceType: 'interface',
    requesterManaged: true,
    description: 'ELB app/web/50dc6c495c0c9188',
    ...overrides,
  });
  if (!source) throw new Error('not a load balancer ENI');
  return source;
}
