import { sessionClientToken } from '../../src/mirroring/client-token.ts';

const parts = {
  networkInterfaceId: 'eni-0a1b2c3d4e5f60001',
  trafficMirrorTargetId: 'tmt-0a1b2c3d4e5f60001',
  trafficMirrorFilterId: 'tmf-0a1b2c3d4e5f60001',
  sessionNumber: 1,
  launchTime: '2026-11-11T21:29:50.000Z',
};

describe('sessionClientToken', () => {
  it('is stable for the same decision and at most 64 ASCII characters', () => {
    const token = sessionClientToken(parts);
    expect(token).toBe(sessionClientToken({ ...parts }));
    expect(token.length).toBeLessThanOrEqual(64);
    expect(token).toMatch(/^[\x21-\x7e]+$/);
  });

  it('changes with the ENI, the target, the number and the launch', () => {
    const token = sessionClientToken(parts);
    for (const change of [
      { networkInterfaceId: 'eni-0a1b2c3d4e5f60002' },
      { trafficMirrorTargetId: 'tmt-0a1b2c3d4e5f60002' },
      { sessionNumber: 2 },
      { launchTime: '2026-11-12T08:00:00.000Z' },
    ]) {
      expect(sessionClientToken({ ...parts, ...change })).not.toBe(token);
    }
  });
});
