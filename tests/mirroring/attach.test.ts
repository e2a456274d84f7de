import { attachInterface, type AttachPorts } from '../../src/mirroring/attach.ts';
import type { Attachment, CreateSessionRequest, Session } from '../../src/mirroring/types.ts';
import { configWith, session } from './fixtures.ts';

const attachment: Attachment = {
  instanceId: 'i-01',
  networkInterfaceId: 'eni-01',
  trafficMirrorTargetId: 'tmt-01',
  alternativeTargetIds: ['tmt-02'],
  trafficMirrorFilterId: 'tmf-01',
  sessionNumber: 1,
  usedSessionNumbers: [],
  dryRun: false,
};
const config = configWith().mirroring;

function ec2Error(name: string, message = name): Error {
  return Object.assign(new Error(message), { name });
}

/** A scripted EC2: each create answers with the next error, or succeeds when the script runs out. */
function ports(script: Error[], existing: Session[] = []): AttachPorts & { requests: CreateSessionRequest[] } {
  const requests: CreateSessionRequest[] = [];
  return {
    requests,
    async createSession(request) {
      requests.push(request);
      const error = script.shift();
      if (error) throw error;
      return session({ networkInterfaceId: request.networkInterfaceId, trafficMirrorTargetId: request.trafficMirrorTargetId, sessionNumber: request.sessionNumber, trafficMirrorSessionId: 'tms-new' });
    },
    async describeSessionsOfInterfaces() {
      return existing;
    },
  };
}

describe('attachInterface', () => {
  it('creates the planned session with autotap tags and a deterministic token', async () => {
    const p = ports([]);
    const result = await attachInterface(attachment, config, p);
    expect(result).toEqual({ instanceId: 'i-01', networkInterfaceId: 'eni-01', outcome: 'created', sessionNumber: 1, trafficMirrorTargetId: 'tmt-01', trafficMirrorSessionId: 'tms-new' });
    expect(p.requests[0]?.tags).toEqual({ 'autotap:managed': 'true', 'autotap:instance-id': 'i-01' });
    const again = ports([]);
    await attachInterface(attachment, config, again);
    expect(again.requests[0]?.clientToken).toBe(p.requests[0]?.clientToken);
  });

  it('moves to the next target when one filled up meanwhile, and reports target-full after the last', async () => {
    const p = ports([ec2Error('TrafficMirrorSourcesPerTargetLimitExceeded')]);
    expect(await attachInterface(attachment, config, p)).toMatchObject({ outcome: 'created', trafficMirrorTargetId: 'tmt-02' });
    const full = ports([ec2Error('TrafficMirrorSourcesPerTargetLimitExceeded'), ec2Error('TrafficMirrorSourcesPerTargetLimitExceeded')]);
    expect(await attachInterface(attachment, config, full)).toMatchObject({ outcome: 'skipped', reason: 'target-full' });
  });

  it('picks again when the number was taken meanwhile', async () => {
    const p = ports([ec2Error('InvalidParameterValue', 'session number 1 is already in use on eni-01')], [session({ sessionNumber: 1 })]);
    expect(await attachInterface(attachment, config, p)).toMatchObject({ outcome: 'created', sessionNumber: 2 });
    const ours = session({ sessionNumber: 1, tags: { 'autotap:managed': 'true' }, trafficMirrorSessionId: 'tms-concurrent' });
    const raced = ports([ec2Error('InvalidParameterValue', 'session number 1 is already in use on eni-01')], [ours]);
    expect(await attachInterface(attachment, config, raced)).toMatchObject({ outcome: 'already-mirrored', trafficMirrorSessionId: 'tms-concurrent' });
  });

  it('throws retryable errors by name for the state machine, and reports the rest', async () => {
    await expect(attachInterface(attachment, config, ports([ec2Error('RequestLimitExceeded')]))).rejects.toMatchObject({ name: 'Throttled' });
    await expect(attachInterface(attachment, config, ports([ec2Error('InvalidNetworkInterfaceID.NotFound')]))).rejects.toMatchObject({ name: 'NotYetVisible' });
    expect(await attachInterface(attachment, config, ports([ec2Error('NetworkInterfaceNotSupported')]))).toMatchObject({ outcome: 'skipped', reason: 'unsupported' });
    expect(await attachInterface(attachment, config, ports([ec2Error('TrafficMirrorSessionLimitExceeded')]))).toMatchObject({ outcome: 'failed', reason: 'account-session-limit' });
    expect(await attachInterface({ ...attachment, dryRun: true }, config, ports([ec2Error('DryRunOperation')]))).toMatchObject({ outcome: 'skipped', reason: 'dry-run', sessionNumber: 1, trafficMirrorTargetId: 'tmt-01' });
  });
});
