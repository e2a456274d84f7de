/**
 * Which EC2 instance types Traffic Mirroring accepts as a source, as AWS publishes it. Data, kept
 * apart from the decision below so that a new page can be copied in whole; the local EC2 emulator
 * refuses the same types, so tests never mirror a type AWS refuses.
 *
 * AWS's rule has three parts: no bare metal size; on the Nitro System every family except a listed
 * few; off it (Xen) only a listed few families. Families are the part of the type before the dot,
 * compared in lower case.
 */
export const MIRRORING_INSTANCE_TYPES = {
  source: 'https://docs.aws.amazon.com/vpc/latest/mirroring/traffic-mirroring-limits.html',
  /** The same list, with the 8th-generation Graviton families, is on the limitations page. */
  alsoOn: 'https://docs.aws.amazon.com/vpc/latest/mirroring/traffic-mirroring-network-limitations.html',
  readOn: '2026-12-06',
  /** "Traffic Mirroring is not available on the following virtualized Nitro instance types". */
  nitroFamiliesNotSupported: [
    // General purpose
    'm8g',
    'm6a',
    'm6i',
    'm6id',
    'm6idn',
    'm6in',
    'm7a',
    'm7g',
    'm7gd',
    'm7i',
    'm7i-flex',
    // Compute optimized
    'c8g',
    'c6a',
    'c6gd',
    'c6gn',
    'c6i',
    'c6id',
    'c6in',
    'c7a',
    'c7g',
    'c7gd',
    'c7gn',
    'c7i',
    // Memory optimized
    'r8g',
    'r6a',
    'r6i',
    'r6id',
    'r6idn',
    'r6in',
    'r7a',
    'r7g',
    'r7gd',
    'r7i',
    'r7iz',
    'x8g',
    'x2idn',
    'x2iedn',
    'x2iezn',
    // Storage optimized
    'i4g',
    'i4i',
    'im4gn',
    'is4gen',
    // Accelerated computing
    'inf2',
    'p5',
    'trn1',
    'trn1n',
    // High-performance computing
    'hpc6a',
    'hpc6id',
    'hpc7a',
    'hpc7g',
  ],
  /** "Traffic Mirroring is not available on bare metal instances": sizes `metal`, `metal-24xl` ... */
  bareMetalSizePrefix: 'metal',
  /** "Traffic Mirroring is available only on the following non-Nitro instance types ... this does not include T2". */
  xenFamiliesSupported: ['c4', 'd2', 'g3', 'g3s', 'h1', 'i3', 'm4', 'p2', 'p3', 'r4', 'x1', 'x1e'],
  /**
   * Every family not built on the Nitro System (the Xen families, current and previous generation),
   * from https://docs.aws.amazon.com/ec2/latest/instancetypes/ec2-nitro-instances.html (the families
   * it does not list) and the previous-generation page.
   */
  xenFamilies: [
    'c1',
    'c3',
    'c4',
    'cc2',
    'cr1',
    'd2',
    'f1',
    'g2',
    'g3',
    'g3s',
    'h1',
    'hi1',
    'hs1',
    'i2',
    'i3',
    'm1',
    'm2',
    'm3',
    'm4',
    'p2',
    'p3',
    'r3',
    'r4',
    't1',
    't2',
    'x1',
    'x1e',
  ],
} as const;

const nitroNotSupported = new Set<string>(MIRRORING_INSTANCE_TYPES.nitroFamiliesNotSupported);
const xenFamilies = new Set<string>(MIRRORING_INSTANCE_TYPES.xenFamilies);
const xenSupported = new Set<string>(MIRRORING_INSTANCE_TYPES.xenFamiliesSupported);

/** Whether AWS accepts an ENI of an instance of this type (`m5.large`) as a mirror source. */
export function supportsMirroring(instanceType: string): boolean {
  const type = instanceType.toLowerCase();
  const dot = type.indexOf('.');
  const family = dot < 0 ? type : type.slice(0, dot);
  const size = dot < 0 ? '' : type.slice(dot + 1);
  if (size.startsWith(MIRRORING_INSTANCE_TYPES.bareMetalSizePrefix)) return false;
  if (xenFamilies.has(family)) return xenSupported.has(family);
  return !nitroNotSupported.has(family);
}
