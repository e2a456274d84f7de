import { describe, expect, test } from '@jest/globals';
import { overrideFilterIds, sessionChoice } from '../../src/mirroring/session-choices.ts';
import { instance, mirroringWith } from './fixtures.ts';

const DNS_HTTP = 'tmf-00000000000000d01';
const HEADERS = 'tmf-00000000000000e02';
const config = mirroringWith({
  packetLength: 4000,
  overrides: [
    { name: 'dns-http-only', tags: { tier: 'web' }, filterId: DNS_HTTP },
    { name: 'headers', tags: { tier: '*', pci: 'yes' }, filterId: HEADERS, packetLength: 128 },
    { name: 'whole-packets', tags: { capture: 'full' }, packetLength: null },
  ],
});

describe('sessionChoice', () => {
  test('no override matches: the section filter and packet length', () => {
    expect(sessionChoice(instance({ tags: { tier: 'db' } }), config)).toEqual({
      trafficMirrorFilterId: config.filterId,
      packetLength: 4000,
    });
  });

  test('an override that names only a filter keeps the section packet length', () => {
    expect(sessionChoice(instance({ tags: { tier: 'web' } }), config)).toEqual({
      trafficMirrorFilterId: DNS_HTTP,
      packetLength: 4000,
      override: 'dns-http-only',
    });
  });

  test('the first matching override wins, even when a later one also matches', () => {
    const both = instance({ tags: { tier: 'web', pci: 'yes', capture: 'full' } });
    expect(sessionChoice(both, config).override).toBe('dns-http-only');
  });

  test('every tag of an override must match; "*" matches any value', () => {
    expect(sessionChoice(instance({ tags: { tier: 'db', pci: 'yes' } }), config)).toMatchObject({
      trafficMirrorFilterId: HEADERS,
      packetLength: 128,
      override: 'headers',
    });
    expect(sessionChoice(instance({ tags: { pci: 'yes' } }), config).override).toBeUndefined();
  });

  test('packetLength null in an override mirrors whole packets where the section truncates', () => {
    expect(sessionChoice(instance({ tags: { capture: 'full' } }), config)).toEqual({
      trafficMirrorFilterId: config.filterId,
      packetLength: null,
      override: 'whole-packets',
    });
  });
});

test("overrideFilterIds lists each override's filter once, never the section's", () => {
  const twice = mirroringWith({
    overrides: [
      { name: 'a', tags: { a: '1' }, filterId: DNS_HTTP },
      { name: 'b', tags: { b: '1' }, filterId: DNS_HTTP },
      { name: 'c', tags: { c: '1' }, packetLength: 64 },
      { name: 'd', tags: { d: '1' }, filterId: 'tmf-0123456789abcdef0' },
    ],
  });
  expect(twice.filterId).toBe('tmf-0123456789abcdef0');
  expect(overrideFilterIds(twice)).toEqual([DNS_HTTP]);
});
